//! The core's tables for Java: the error codes (names, descriptions, transience) that
//! `EdgeModuleException` reads instead of keeping its own copy, and the twin JSON the core
//! writes (a test seam for `tests/vectors/twin.json`).

use edgemodule::Twin;
use edgemodule_ffi::codes;
use jni::objects::{JClass, JObjectArray, JString};
use jni::EnvUnowned;

use crate::convert;
use crate::error::entry;

/// Strings per code in [`error_table`].
const PER_CODE: usize = 3;

/// `String[] errorTable()`: `{name, description, "true"|"false" (transient)}` per code, in
/// code order (`OK` first).
#[export_name = "Java_dev_edgemodule_Native_errorTable__"]
pub extern "system" fn error_table<'l>(
    mut env: EnvUnowned<'l>,
    _class: JClass<'l>,
) -> JObjectArray<'l, JString<'l>> {
    entry(&mut env, |env| {
        let infos = codes::error_infos();
        let array = JObjectArray::<JString>::new(env, infos.len() * PER_CODE, JString::null())?;
        for (i, info) in infos.iter().enumerate() {
            let transient = if info.transient { "true" } else { "false" };
            for (offset, text) in [info.name, info.description, transient]
                .into_iter()
                .enumerate()
            {
                let text = convert::java_string(env, Some(text))?;
                array.set_element(env, i * PER_CODE + offset, &text)?;
                env.delete_local_ref(text);
            }
        }
        Ok(array)
    })
}

/// `String twinJson(String hubJson)`: the hub's twin JSON read and written again by the core
/// (what `getTwin` hands to Java); `PROTOCOL` for a twin the core refuses.
#[export_name = "Java_dev_edgemodule_Native_twinJson__Ljava_lang_String_2"]
pub extern "system" fn twin_json<'l>(
    mut env: EnvUnowned<'l>,
    _class: JClass<'l>,
    hub_json: JString<'l>,
) -> JString<'l> {
    entry(&mut env, |env| {
        let text = convert::string(env, &hub_json, "hubJson")?;
        let twin = Twin::from_json_slice(text.as_bytes())?;
        Ok(env.new_string(twin.to_json_string()?)?)
    })
}
