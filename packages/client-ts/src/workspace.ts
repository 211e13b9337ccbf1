// Workspaces: creating one (its id comes back in the response data).
import { MpcWorkspaceMsgComposer } from "./generated/mpc-workspace/MpcWorkspace.message-composer.js";
import type { Policy } from "./generated/mpc-workspace/MpcWorkspace.types.js";
import { preparedWithId, type Prepared } from "./prepared.js";

export interface CreateWorkspaceArgs {
  /** Owners besides the sender. */
  readonly additionalOwners?: readonly string[];
  /** Default: any one owner. */
  readonly adminPolicy?: Policy;
  /** Default: any one owner. */
  readonly signPolicy?: Policy;
  readonly alias?: string;
}

/** `create_workspace`; answers `{"workspace_id": n}`. */
export function prepareCreateWorkspace(
  sender: string,
  workspaceContract: string,
  args: CreateWorkspaceArgs = {},
): Prepared<number> {
  const message = new MpcWorkspaceMsgComposer(sender, workspaceContract).createWorkspace({
    additionalOwners: [...(args.additionalOwners ?? [])],
    adminPolicy: args.adminPolicy,
    signPolicy: args.signPolicy,
    alias: args.alias,
  });
  return preparedWithId(message, "workspace_id");
}
