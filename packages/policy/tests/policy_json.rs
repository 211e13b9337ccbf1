//! The policy's JSON form is what users write and what the chain stores: it must read exactly
//! as the README shows it.

use mpc_policy::{Policy, PolicyError, MAX_DEPTH, MAX_NODES};

fn owners(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

#[test]
fn design_examples_parse() {
    let any: Policy = serde_json::from_str(
        r#"{"any_of": {"threshold": 2, "of": [{"approver": "addr1"}, {"approver": "addr2"}, {"owners": {}}]}}"#,
    )
    .unwrap();
    assert_eq!(
        any,
        Policy::AnyOf {
            threshold: 2,
            of: vec![
                Policy::Approver("addr1".into()),
                Policy::Approver("addr2".into()),
                Policy::Owners { threshold: None },
            ],
        }
    );
    let owners2: Policy = serde_json::from_str(r#"{"owners": {"threshold": 2}}"#).unwrap();
    assert_eq!(owners2, Policy::Owners { threshold: Some(2) });
    let all: Policy =
        serde_json::from_str(r#"{"all_of": [{"approver": "a"}, {"owners": {}}]}"#).unwrap();
    assert_eq!(
        all,
        Policy::AllOf(vec![
            Policy::Approver("a".into()),
            Policy::Owners { threshold: None }
        ])
    );
}

#[test]
fn unknown_nodes_and_malformed_fields_are_refused() {
    assert!(serde_json::from_str::<Policy>(r#"{"someone": "a"}"#).is_err());
    assert!(serde_json::from_str::<Policy>(r#"{"owners": {"threshold": -1}}"#).is_err());
    assert!(serde_json::from_str::<Policy>(r#"{"any_of": {"of": []}}"#).is_err());
}

#[test]
fn validation_refuses_what_a_workspace_must_not_store() {
    let o = owners(&["a", "b", "c"]);
    assert_eq!(
        Policy::Approver("z".into()).validate(&o),
        Err(PolicyError::NotAnOwner {
            address: "z".into()
        })
    );
    assert_eq!(
        Policy::Owners { threshold: Some(4) }.validate(&o),
        Err(PolicyError::ThresholdOutOfRange {
            threshold: 4,
            max: 3
        })
    );
    assert_eq!(
        Policy::Owners { threshold: Some(0) }.validate(&o),
        Err(PolicyError::ThresholdOutOfRange {
            threshold: 0,
            max: 3
        })
    );
    assert_eq!(
        Policy::AllOf(vec![]).validate(&o),
        Err(PolicyError::EmptyList)
    );
    assert_eq!(
        Policy::AnyOf {
            threshold: 3,
            of: vec![Policy::Approver("a".into()), Policy::Approver("b".into())]
        }
        .validate(&o),
        Err(PolicyError::ThresholdOutOfRange {
            threshold: 3,
            max: 2
        })
    );
    assert_eq!(
        Policy::AllOf(vec![
            Policy::Approver("a".into()),
            Policy::Approver("a".into())
        ])
        .validate(&o),
        Err(PolicyError::DuplicateApprover {
            address: "a".into()
        })
    );
    assert!(Policy::AnyOf {
        threshold: 2,
        of: vec![
            Policy::Approver("a".into()),
            Policy::Owners { threshold: Some(2) }
        ],
    }
    .validate(&o)
    .is_ok());
    // The `owners` leaf counts the owners the policy does not name: here only b and c.
    assert_eq!(
        Policy::AllOf(vec![
            Policy::Approver("a".into()),
            Policy::Owners { threshold: Some(3) }
        ])
        .validate(&o),
        Err(PolicyError::ThresholdOutOfRange {
            threshold: 3,
            max: 2
        })
    );
}

/// Issue 10, attack 6: `any_of{2, [alice, any_of{1, [alice]}, ...]}` let alice's one approval
/// count twice. An approver named twice anywhere in the tree is refused.
#[test]
fn duplicate_approver_nested_in_a_sub_policy_is_refused() {
    let o = owners(&["a", "b", "c"]);
    let nested = Policy::AnyOf {
        threshold: 2,
        of: vec![
            Policy::Approver("a".into()),
            Policy::AnyOf {
                threshold: 1,
                of: vec![Policy::Approver("a".into())],
            },
            Policy::Approver("b".into()),
        ],
    };
    assert_eq!(
        nested.validate(&o),
        Err(PolicyError::DuplicateApprover {
            address: "a".into()
        })
    );
    let two_owner_leaves = Policy::AnyOf {
        threshold: 2,
        of: vec![
            Policy::Owners { threshold: None },
            Policy::Owners { threshold: None },
        ],
    };
    assert_eq!(
        two_owner_leaves.validate(&o),
        Err(PolicyError::OwnersLeafTwice { leaves: 2 })
    );
}

/// The design's example: `a` alone no longer meets "2 of [a, b, any owner]", as the `owners`
/// leaf counts only the owners the policy does not name.
#[test]
fn a_named_approver_is_not_counted_again_by_the_owners_leaf() {
    let o = owners(&["a", "b", "c"]);
    let p = Policy::AnyOf {
        threshold: 2,
        of: vec![
            Policy::Approver("a".into()),
            Policy::Approver("b".into()),
            Policy::Owners { threshold: None },
        ],
    };
    assert!(p.validate(&o).is_ok());
    let satisfied_by = |approvals: &[&str]| {
        let approvals = owners(approvals);
        p.is_satisfied(&mpc_policy::Ballots {
            owners: &o,
            approvals: &approvals,
            rejections: &[],
        })
    };
    assert!(!satisfied_by(&["a"]));
    assert!(satisfied_by(&["a", "c"]));
    assert!(satisfied_by(&["a", "b"]));
}

#[test]
fn size_and_depth_are_bounded() {
    let o = owners(&["a"]);
    let mut deep = Policy::Approver("a".into());
    for _ in 0..MAX_DEPTH {
        deep = Policy::AllOf(vec![deep]);
    }
    assert_eq!(
        deep.validate(&o),
        Err(PolicyError::TooDeep {
            depth: MAX_DEPTH + 1,
            max: MAX_DEPTH
        })
    );
    let wide = Policy::AnyOf {
        threshold: 1,
        of: (0..MAX_NODES)
            .map(|_| Policy::Owners { threshold: None })
            .collect(),
    };
    assert_eq!(
        wide.validate(&o),
        Err(PolicyError::TooLarge {
            nodes: MAX_NODES + 1,
            max: MAX_NODES
        })
    );
}
