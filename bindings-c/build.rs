//! Generates the C header with cbindgen into `OUT_DIR/edgemodule.h` (and, when
//! `EDGEMODULE_HEADER_OUT` is set, to that path: `make header` / the drift check), and
//! gives the shared library its soname.

use std::env;
use std::error::Error;
use std::path::PathBuf;

fn main() -> Result<(), Box<dyn Error>> {
    println!("cargo:rerun-if-changed=src");
    println!("cargo:rerun-if-changed=cbindgen.toml");
    println!("cargo:rerun-if-env-changed=EDGEMODULE_HEADER_OUT");
    if env::var("CARGO_CFG_TARGET_OS").as_deref() == Ok("linux") {
        println!("cargo:rustc-cdylib-link-arg=-Wl,-soname,libedgemodule.so");
    }
    let crate_dir = PathBuf::from(env::var("CARGO_MANIFEST_DIR")?);
    let mut config = cbindgen::Config::from_file(crate_dir.join("cbindgen.toml"))?;
    let (major, minor, patch) = (
        env::var("CARGO_PKG_VERSION_MAJOR")?,
        env::var("CARGO_PKG_VERSION_MINOR")?,
        env::var("CARGO_PKG_VERSION_PATCH")?,
    );
    config.after_includes = Some(format!(
        "\n/** Version of this header (edgemodule_version() gives the library's). */\n\
         #define EDGEMODULE_VERSION_MAJOR {major}\n\
         #define EDGEMODULE_VERSION_MINOR {minor}\n\
         #define EDGEMODULE_VERSION_PATCH {patch}\n\
         #define EDGEMODULE_VERSION_STRING \"{major}.{minor}.{patch}\"\n\n\
         /** Pass as the length of a string argument to mean \"NUL-terminated\". */\n\
         #define EDGEMODULE_NUL_TERMINATED ((size_t)-1)\n\n\
         /**\n \
         * Returned by an input, desired-properties or topic callback that keeps its\n \
         * edgemodule_handler_call_t to complete it later with\n \
         * edgemodule_handler_call_complete().\n \
         */\n\
         #define EDGEMODULE_PENDING ((int32_t)-1)\n"
    ));
    let bindings = cbindgen::Builder::new()
        .with_config(config)
        .with_src(crate_dir.join("src/lib.rs"))
        .generate()?;
    bindings.write_to_file(PathBuf::from(env::var("OUT_DIR")?).join("edgemodule.h"));
    if let Some(path) = env::var_os("EDGEMODULE_HEADER_OUT") {
        bindings.write_to_file(PathBuf::from(path));
    }
    Ok(())
}
