//! The JVM side of the library: the class and method ids cached when the library loads
//! (`JNI_OnLoad`), daemon attachment of delivery threads, and JNI access from them.
//!
//! Every call into Java goes to a static method of `dev.edgemodule.NativeCallbacks`, looked
//! up once in `JNI_OnLoad`: on a thread the library created, `FindClass` would search the
//! system class loader and miss classes loaded by an application class loader.

use std::cell::Cell;
use std::ffi::{c_void, CString};
use std::sync::OnceLock;

use jni::errors::{Error as JniError, Result as JniResult};
use jni::ids::JStaticMethodID;
use jni::objects::{JClass, JValue};
use jni::refs::Global;
use jni::signature::{JavaType, Primitive};
use jni::sys::{jint, jvalue, JavaVMAttachArgs, JNI_OK, JNI_VERSION_1_8};
use jni::{jni_sig, jni_str, Env, JValueOwned, JavaVM};

/// The static methods of `NativeCallbacks` this library calls.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Callback {
    /// `String onInput(Object dispatcher, String input, byte[] body, String[] system,
    /// String[] props)`: null when handled, else why it failed.
    OnInput,
    /// `String[] onMethod(Object dispatcher, String slot, String name, String payload)`:
    /// `{status, json}` when answered, `{why it failed}` otherwise.
    OnMethod,
    /// `String onDesired(Object dispatcher, String patch, long version)`: null or why.
    OnDesired,
    /// `String onTopic(Object dispatcher, long id, String topic, byte[] payload)`: null or why.
    OnTopic,
    /// `void onStatus(Object dispatcher, int state, int reason)`
    OnStatus,
    /// `void onBackgroundError(Object dispatcher, String kind, String family, String name,
    /// String message)`
    OnBackgroundError,
    /// `void complete(Object future, String value)`
    Complete,
    /// `void fail(Object future, int code, String message, int status)`
    Fail,
    /// `Throwable error(int code, String message, int status)`
    Error,
    /// `void log(int level, String text)`
    Log,
}

struct Cache {
    class: Global<JClass<'static>>,
    ids: [JStaticMethodID; 10],
}

static CACHE: OnceLock<Cache> = OnceLock::new();

/// Looks up `NativeCallbacks` and its methods (from `JNI_OnLoad`, where the class loader of
/// the class that loaded the library is in effect).
pub(crate) fn init(env: &mut Env<'_>) -> JniResult<()> {
    if CACHE.get().is_some() {
        return Ok(());
    }
    let class = env.find_class(jni_str!("dev/edgemodule/NativeCallbacks"))?;
    let ids = [
        env.get_static_method_id(
            &class,
            jni_str!("onInput"),
            jni_sig!("(Ljava/lang/Object;Ljava/lang/String;[B[Ljava/lang/String;[Ljava/lang/String;)Ljava/lang/String;"),
        )?,
        env.get_static_method_id(
            &class,
            jni_str!("onMethod"),
            jni_sig!("(Ljava/lang/Object;Ljava/lang/String;Ljava/lang/String;Ljava/lang/String;)[Ljava/lang/String;"),
        )?,
        env.get_static_method_id(
            &class,
            jni_str!("onDesired"),
            jni_sig!("(Ljava/lang/Object;Ljava/lang/String;J)Ljava/lang/String;"),
        )?,
        env.get_static_method_id(
            &class,
            jni_str!("onTopic"),
            jni_sig!("(Ljava/lang/Object;JLjava/lang/String;[B)Ljava/lang/String;"),
        )?,
        env.get_static_method_id(
            &class,
            jni_str!("onStatus"),
            jni_sig!("(Ljava/lang/Object;II)V"),
        )?,
        env.get_static_method_id(
            &class,
            jni_str!("onBackgroundError"),
            jni_sig!("(Ljava/lang/Object;Ljava/lang/String;Ljava/lang/String;Ljava/lang/String;Ljava/lang/String;)V"),
        )?,
        env.get_static_method_id(
            &class,
            jni_str!("complete"),
            jni_sig!("(Ljava/lang/Object;Ljava/lang/String;)V"),
        )?,
        env.get_static_method_id(
            &class,
            jni_str!("fail"),
            jni_sig!("(Ljava/lang/Object;ILjava/lang/String;I)V"),
        )?,
        env.get_static_method_id(
            &class,
            jni_str!("error"),
            jni_sig!("(ILjava/lang/String;I)Ljava/lang/Throwable;"),
        )?,
        env.get_static_method_id(
            &class,
            jni_str!("log"),
            jni_sig!("(ILjava/lang/String;)V"),
        )?,
    ];
    let class = env.new_global_ref(&class)?;
    let _ = CACHE.set(Cache { class, ids });
    Ok(())
}

/// Calls a `NativeCallbacks` method. `args` must match the method's parameters.
pub(crate) fn call<'local>(
    env: &mut Env<'local>,
    callback: Callback,
    args: &[JValue<'_>],
) -> JniResult<JValueOwned<'local>> {
    let cache = CACHE.get().ok_or(JniError::UninitializedJavaVM)?;
    let ret = match callback {
        Callback::OnInput
        | Callback::OnMethod
        | Callback::OnDesired
        | Callback::OnTopic
        | Callback::Error => JavaType::Object,
        _ => JavaType::Primitive(Primitive::Void),
    };
    let raw: Vec<jvalue> = args.iter().map(JValue::as_jni).collect();
    // SAFETY: the ids were looked up in `init` with the signatures documented on `Callback`,
    // and every caller passes arguments of exactly those types.
    unsafe {
        env.call_static_method_unchecked(&cache.class, cache.ids[callback as usize], ret, &raw)
    }
}

/// Runs `f` with a JNI environment on the current thread, inside its own local frame.
///
/// On a delivery, lane or log thread (attached as a daemon by [`attach_daemon`]) this
/// reuses the attachment; elsewhere the thread is attached for the call only, so no thread the
/// library owns ever stays attached as a non-daemon thread (which would keep the JVM from
/// exiting). A Java exception left pending is cleared and returned as an error.
pub(crate) fn with_env<T>(f: impl FnOnce(&mut Env<'_>) -> JniResult<T>) -> JniResult<T> {
    let vm = JavaVM::singleton()?;
    vm.attach_current_thread_for_scope(f)
}

thread_local! {
    /// True on a thread this library attached as a daemon.
    static ATTACHED: Cell<bool> = const { Cell::new(false) };
}

/// Attaches the current thread to the JVM as a daemon thread named `name`, so callbacks
/// can run on it and the JVM can still exit while it lives. (jni 0.22 offers only
/// non-daemon permanent attachments; the raw JNI call is used instead.)
pub(crate) fn attach_daemon(name: &str) {
    let Ok(vm) = JavaVM::singleton() else {
        return;
    };
    let Ok(name) = CString::new(name) else {
        return;
    };
    let mut args = JavaVMAttachArgs {
        version: JNI_VERSION_1_8,
        name: name.as_ptr() as *mut _,
        group: std::ptr::null_mut(),
    };
    let mut env: *mut c_void = std::ptr::null_mut();
    let raw = vm.get_raw();
    // SAFETY: `raw` is the live JavaVM (the library was loaded into it and it is never
    // destroyed while the process runs code); `args` and `name` outlive the call.
    let rc: jint = unsafe {
        ((*(*raw)).v1_4.AttachCurrentThreadAsDaemon)(
            raw,
            &mut env,
            &mut args as *mut JavaVMAttachArgs as *mut c_void,
        )
    };
    if rc == JNI_OK {
        ATTACHED.with(|a| a.set(true));
    } else {
        tracing::warn!("cannot attach the callback thread to the JVM (error {rc})");
    }
}

/// Detaches the current thread if [`attach_daemon`] attached it (last act of a delivery
/// thread).
pub(crate) fn detach_daemon() {
    if !ATTACHED.with(|a| a.replace(false)) {
        return;
    }
    let Ok(vm) = JavaVM::singleton() else {
        return;
    };
    let raw = vm.get_raw();
    // SAFETY: this thread was attached by `attach_daemon` and holds no JNI references any
    // more (every job ran in its own local frame, which has been popped).
    unsafe {
        ((*(*raw)).v1_1.DetachCurrentThread)(raw);
    }
}
