//! Home Assistant's MQTT discovery abbreviations (`stat_t` is `state_topic`) and the `~` base
//! topic, expanded as Home Assistant expands them before reading a discovery payload. Only the
//! keys of the components Posey reads are here (Home Assistant's
//! `components/mqtt/abbreviations.py`); unknown short keys stay as they are and are ignored.

use serde_json::{Map, Value};

/// Entity keys: `(abbreviation, full name)`.
#[rustfmt::skip]
pub const ABBREVIATIONS: &[(&str, &str)] = &[
    ("avty", "availability"),
    ("avty_mode", "availability_mode"),
    ("avty_t", "availability_topic"),
    ("avty_tpl", "availability_template"),
    ("bri_cmd_t", "brightness_command_topic"),
    ("bri_cmd_tpl", "brightness_command_template"),
    ("bri_scl", "brightness_scale"),
    ("bri_stat_t", "brightness_state_topic"),
    ("bri_tpl", "brightness_template"),
    ("bri_val_tpl", "brightness_value_template"),
    ("clr_temp_cmd_t", "color_temp_command_topic"),
    ("clr_temp_cmd_tpl", "color_temp_command_template"),
    ("clr_temp_k", "color_temp_kelvin"),
    ("clr_temp_stat_t", "color_temp_state_topic"),
    ("clr_temp_tpl", "color_temp_template"),
    ("clr_temp_val_tpl", "color_temp_value_template"),
    ("clrm", "color_mode"),
    ("clrm_stat_t", "color_mode_state_topic"),
    ("clrm_val_tpl", "color_mode_value_template"),
    ("cmd_off_tpl", "command_off_template"),
    ("cmd_on_tpl", "command_on_template"),
    ("cmd_t", "command_topic"),
    ("cmd_tpl", "command_template"),
    ("cod_arm_req", "code_arm_required"),
    ("cod_dis_req", "code_disarm_required"),
    ("cod_trig_req", "code_trigger_required"),
    ("curr_temp_t", "current_temperature_topic"),
    ("curr_temp_tpl", "current_temperature_template"),
    ("def_ent_id", "default_entity_id"),
    ("dev", "device"),
    ("dev_cla", "device_class"),
    ("en", "enabled_by_default"),
    ("ent_cat", "entity_category"),
    ("exp_aft", "expire_after"),
    ("frc_upd", "force_update"),
    ("ic", "icon"),
    ("json_attr", "json_attributes"),
    ("json_attr_t", "json_attributes_topic"),
    ("json_attr_tpl", "json_attributes_template"),
    ("max_k", "max_kelvin"),
    ("max_mirs", "max_mireds"),
    ("max_temp", "max_temp"),
    ("min_k", "min_kelvin"),
    ("min_mirs", "min_mireds"),
    ("min_temp", "min_temp"),
    ("mode_cmd_t", "mode_command_topic"),
    ("mode_cmd_tpl", "mode_command_template"),
    ("mode_stat_t", "mode_state_topic"),
    ("mode_stat_tpl", "mode_state_template"),
    ("o", "origin"),
    ("off_dly", "off_delay"),
    ("on_cmd_type", "on_command_type"),
    ("opt", "optimistic"),
    ("p", "platform"),
    ("pl_arm_away", "payload_arm_away"),
    ("pl_arm_custom_b", "payload_arm_custom_bypass"),
    ("pl_arm_home", "payload_arm_home"),
    ("pl_arm_nite", "payload_arm_night"),
    ("pl_arm_vacation", "payload_arm_vacation"),
    ("pl_avail", "payload_available"),
    ("pl_cls", "payload_close"),
    ("pl_disarm", "payload_disarm"),
    ("pl_lock", "payload_lock"),
    ("pl_not_avail", "payload_not_available"),
    ("pl_off", "payload_off"),
    ("pl_on", "payload_on"),
    ("pl_open", "payload_open"),
    ("pl_stop", "payload_stop"),
    ("pl_trig", "payload_trigger"),
    ("pl_unlk", "payload_unlock"),
    ("pos_clsd", "position_closed"),
    ("pos_open", "position_open"),
    ("pos_t", "position_topic"),
    ("pos_tpl", "position_template"),
    ("ret", "retain"),
    ("rgb_cmd_t", "rgb_command_topic"),
    ("rgb_cmd_tpl", "rgb_command_template"),
    ("rgb_stat_t", "rgb_state_topic"),
    ("rgb_val_tpl", "rgb_value_template"),
    ("set_pos_t", "set_position_topic"),
    ("set_pos_tpl", "set_position_template"),
    ("stat_cla", "state_class"),
    ("stat_closing", "state_closing"),
    ("stat_clsd", "state_closed"),
    ("stat_jam", "state_jammed"),
    ("stat_locked", "state_locked"),
    ("stat_locking", "state_locking"),
    ("stat_off", "state_off"),
    ("stat_on", "state_on"),
    ("stat_open", "state_open"),
    ("stat_opening", "state_opening"),
    ("stat_stopped", "state_stopped"),
    ("stat_t", "state_topic"),
    ("stat_tpl", "state_template"),
    ("stat_unlocked", "state_unlocked"),
    ("stat_unlocking", "state_unlocking"),
    ("stat_val_tpl", "state_value_template"),
    ("sug_dsp_prc", "suggested_display_precision"),
    ("sup_clrm", "supported_color_modes"),
    ("sup_feat", "supported_features"),
    ("t", "topic"),
    ("temp_cmd_t", "temperature_command_topic"),
    ("temp_cmd_tpl", "temperature_command_template"),
    ("temp_stat_t", "temperature_state_topic"),
    ("temp_stat_tpl", "temperature_state_template"),
    ("temp_unit", "temperature_unit"),
    ("uniq_id", "unique_id"),
    ("unit_of_meas", "unit_of_measurement"),
    ("val_tpl", "value_template"),
];

/// Device keys, inside `device`.
#[rustfmt::skip]
pub const DEVICE_ABBREVIATIONS: &[(&str, &str)] = &[
    ("cns", "connections"),
    ("cu", "configuration_url"),
    ("hw", "hw_version"),
    ("ids", "identifiers"),
    ("mdl", "model"),
    ("mdl_id", "model_id"),
    ("mf", "manufacturer"),
    ("sa", "suggested_area"),
    ("sn", "serial_number"),
    ("sw", "sw_version"),
    ("via_device", "via_device"),
];

/// Origin keys, inside `origin`.
#[rustfmt::skip]
pub const ORIGIN_ABBREVIATIONS: &[(&str, &str)] = &[
    ("sw", "sw_version"),
    ("url", "support_url"),
];

fn expand_keys(object: &mut Map<String, Value>, table: &[(&str, &str)]) {
    for (short, long) in table {
        if short != long
            && let Some(value) = object.remove(*short)
        {
            object.insert((*long).to_owned(), value);
        }
    }
}

/// Puts the base topic in for a `~` at either end of `value`.
fn with_base(value: &str, base: &str) -> Option<String> {
    if let Some(rest) = value.strip_prefix('~') {
        Some(format!("{base}{rest}"))
    } else {
        value.strip_suffix('~').map(|rest| format!("{rest}{base}"))
    }
}

/// A discovery payload with every abbreviation written out and the `~` base topic put into
/// the topics that use it, as Home Assistant does: entity keys, then `device` and `origin`
/// keys, then each entry of `availability`; `~` at the start or end of any `..._topic` value
/// and of each availability entry's `topic`.
pub fn expand(mut payload: Map<String, Value>) -> Map<String, Value> {
    expand_keys(&mut payload, ABBREVIATIONS);
    if let Some(Value::Object(device)) = payload.get_mut("device") {
        expand_keys(device, DEVICE_ABBREVIATIONS);
    }
    if let Some(Value::Object(origin)) = payload.get_mut("origin") {
        expand_keys(origin, ORIGIN_ABBREVIATIONS);
    }
    match payload.get_mut("availability") {
        Some(Value::Array(entries)) => {
            for entry in entries {
                if let Value::Object(entry) = entry {
                    expand_keys(entry, ABBREVIATIONS);
                }
            }
        }
        Some(Value::Object(entry)) => expand_keys(entry, ABBREVIATIONS),
        _ => {}
    }
    if let Some(Value::String(base)) = payload.remove("~") {
        for (key, value) in payload.iter_mut() {
            if key.ends_with("topic")
                && let Value::String(topic) = value
                && let Some(full) = with_base(topic, &base)
            {
                *topic = full;
            }
        }
        if let Some(Value::Array(entries)) = payload.get_mut("availability") {
            for entry in entries {
                if let Some(Value::String(topic)) = entry.get_mut("topic")
                    && let Some(full) = with_base(topic, &base)
                {
                    *topic = full;
                }
            }
        }
    }
    payload
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn object(value: Value) -> Map<String, Value> {
        value.as_object().cloned().expect("an object")
    }

    #[test]
    fn the_tables_are_sorted_and_have_no_duplicates() {
        for table in [ABBREVIATIONS, DEVICE_ABBREVIATIONS, ORIGIN_ABBREVIATIONS] {
            for pair in table.windows(2) {
                assert!(pair[0].0 < pair[1].0, "{:?} before {:?}", pair[0], pair[1]);
            }
        }
    }

    #[test]
    fn expands_entity_device_and_availability_keys_and_the_base_topic() {
        // Home Assistant's documented example, abbreviated, with a base topic.
        let payload = object(json!({
            "~": "homeassistant/light/kitchen",
            "name": "Kitchen",
            "uniq_id": "kitchen_light",
            "cmd_t": "~/set",
            "stat_t": "~/state",
            "schema": "json",
            "brightness": true,
            "avty": [{"t": "~/online", "pl_avail": "up"}, {"topic": "bridge/state"}],
            "avty_mode": "all",
            "dev": {"ids": ["ea334450945afc"], "name": "Kitchen", "mf": "Bla electronics", "mdl": "xya", "sw": "1.0", "sa": "Kitchen"},
            "o": {"name": "bla2mqtt", "sw": "2.1", "url": "https://bla2mqtt.example.com/support"},
            "json_attr_t": "attributes/~"
        }));
        let expanded = expand(payload);
        assert_eq!(
            Value::Object(expanded),
            json!({
                "name": "Kitchen",
                "unique_id": "kitchen_light",
                "command_topic": "homeassistant/light/kitchen/set",
                "state_topic": "homeassistant/light/kitchen/state",
                "schema": "json",
                "brightness": true,
                "availability": [
                    {"topic": "homeassistant/light/kitchen/online", "payload_available": "up"},
                    {"topic": "bridge/state"}
                ],
                "availability_mode": "all",
                "device": {"identifiers": ["ea334450945afc"], "name": "Kitchen", "manufacturer": "Bla electronics", "model": "xya", "sw_version": "1.0", "suggested_area": "Kitchen"},
                "origin": {"name": "bla2mqtt", "sw_version": "2.1", "support_url": "https://bla2mqtt.example.com/support"},
                "json_attributes_topic": "attributes/homeassistant/light/kitchen"
            })
        );
    }

    #[test]
    fn a_tilde_only_counts_at_the_ends_of_topics() {
        let expanded = expand(object(json!({
            "~": "base",
            "stat_t": "a/~/b",
            "name": "~/not-a-topic",
        })));
        assert_eq!(expanded["state_topic"], json!("a/~/b"));
        assert_eq!(expanded["name"], json!("~/not-a-topic"));
    }
}
