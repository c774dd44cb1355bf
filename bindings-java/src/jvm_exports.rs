//! `JNI_OnLoad`: records the JVM and caches the classes and method ids the library calls.

use std::ffi::c_void;

use jni::sys::{jint, JNI_ERR, JNI_VERSION_1_8};
use jni::JavaVM;

/// Called by the JVM when `System.load` loads this library: caches
/// `dev.edgemodule.NativeCallbacks` and its method ids while the loading class's class
/// loader is in effect. Returns the JNI version needed, or `JNI_ERR` (the load then fails
/// with `UnsatisfiedLinkError`).
///
/// # Safety
/// Called only by the JVM, with its own `JavaVM` pointer.
#[no_mangle]
pub unsafe extern "system" fn JNI_OnLoad(
    vm: *mut jni::sys::JavaVM,
    _reserved: *mut c_void,
) -> jint {
    let loaded = std::panic::catch_unwind(|| {
        // SAFETY: `vm` is the JVM loading this library.
        let vm = unsafe { JavaVM::from_raw(vm) };
        vm.attach_current_thread(crate::jvm::init)
    });
    match loaded {
        Ok(Ok(())) => JNI_VERSION_1_8,
        _ => JNI_ERR,
    }
}
