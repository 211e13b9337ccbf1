//! Reading the events of a response: `wasm-<name>` events, their `action`, single and repeated
//! attributes.

use cosmwasm_std::Event;
use cw_multi_test::AppResponse;

/// The events of type `ty` (e.g. `wasm-workspace`), in order.
pub fn of_type<'a>(res: &'a AppResponse, ty: &str) -> Vec<&'a Event> {
    res.events.iter().filter(|e| e.ty == ty).collect()
}

/// The events of type `ty` whose `action` attribute is `action`.
pub fn with_action<'a>(res: &'a AppResponse, ty: &str, action: &str) -> Vec<&'a Event> {
    of_type(res, ty)
        .into_iter()
        .filter(|e| e.attributes.iter().any(|a| a.key == "action" && a.value == action))
        .collect()
}

/// The single event of type `ty` with `action`; fails when there is none or more than one.
pub fn one<'a>(res: &'a AppResponse, ty: &str, action: &str) -> &'a Event {
    let found = with_action(res, ty, action);
    assert_eq!(found.len(), 1, "expected one {ty}/{action} event in {:?}", res.events);
    found[0]
}

/// The value of `key` on the single event of type `ty` with `action`.
pub fn one_attr(res: &AppResponse, ty: &str, action: &str, key: &str) -> String {
    attr(one(res, ty, action), key)
}

/// The `action` of every event of type `ty`, in order.
pub fn actions(res: &AppResponse, ty: &str) -> Vec<String> {
    of_type(res, ty)
        .into_iter()
        .filter_map(|e| e.attributes.iter().find(|a| a.key == "action"))
        .map(|a| a.value.clone())
        .collect()
}

/// The value of `key` on `event`, if it has one.
pub fn find_attr(event: &Event, key: &str) -> Option<String> {
    event.attributes.iter().find(|a| a.key == key).map(|a| a.value.clone())
}

/// The value of `key` on `event`; fails when it has none.
pub fn attr(event: &Event, key: &str) -> String {
    find_attr(event, key).unwrap_or_else(|| panic!("no attribute {key} on {event:?}"))
}

/// Every value of a repeated attribute, in order.
pub fn attrs(event: &Event, key: &str) -> Vec<String> {
    event.attributes.iter().filter(|a| a.key == key).map(|a| a.value.clone()).collect()
}

/// The value of `key` on the first event of type `ty` that has it; fails when none has.
pub fn first_attr(res: &AppResponse, ty: &str, key: &str) -> String {
    of_type(res, ty)
        .into_iter()
        .find_map(|e| find_attr(e, key))
        .unwrap_or_else(|| panic!("no {key} on {ty} in {:?}", res.events))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn response() -> AppResponse {
        AppResponse {
            events: vec![
                Event::new("wasm-x").add_attribute("action", "created").add_attribute("id", "1"),
                Event::new("wasm-y").add_attribute("action", "created"),
                Event::new("wasm-x")
                    .add_attribute("action", "approved")
                    .add_attribute("approver", "a")
                    .add_attribute("approver", "b"),
            ],
            data: None,
        }
    }

    #[test]
    fn events_are_found_by_type_and_action() {
        let res = response();
        assert_eq!(actions(&res, "wasm-x"), ["created", "approved"]);
        assert_eq!(one_attr(&res, "wasm-x", "created", "id"), "1");
        assert!(with_action(&res, "wasm-x", "rejected").is_empty());
        assert_eq!(first_attr(&res, "wasm-x", "approver"), "a");
    }

    #[test]
    fn a_repeated_attribute_keeps_every_value_in_order() {
        let res = response();
        let approved = one(&res, "wasm-x", "approved");
        assert_eq!(attrs(approved, "approver"), ["a", "b"]);
        assert_eq!(find_attr(approved, "id"), None);
    }

    #[test]
    #[should_panic(expected = "expected one wasm-y/approved event")]
    fn one_refuses_a_missing_event() {
        one(&response(), "wasm-y", "approved");
    }
}
