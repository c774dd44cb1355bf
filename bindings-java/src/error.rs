//! Errors at the JNI boundary: every native method runs through [`entry`], which turns an
//! `edgemodule::Error` into the matching `EdgeModuleException` subclass, a JNI failure
//! into `InternalException`, and a panic into `InternalException` — nothing unwinds into
//! the JVM.

use std::fmt;

use edgemodule::{Error, ErrorKind};
use jni::errors::{Error as JniError, ErrorPolicy, Result as JniResult};
use jni::objects::{JThrowable, JValue};
use jni::{Env, EnvUnowned};

use crate::jvm::{self, Callback};

/// Why a native method failed.
#[derive(Debug)]
pub(crate) enum Failure {
    /// An edgemodule error: thrown as its `EdgeModuleException` subclass.
    Edge(Error),
    /// A JNI call failed (a Java exception may be pending already).
    Jni(JniError),
}

impl From<Error> for Failure {
    fn from(e: Error) -> Self {
        Failure::Edge(e)
    }
}

impl From<JniError> for Failure {
    fn from(e: JniError) -> Self {
        Failure::Jni(e)
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Failure::Edge(e) => e.fmt(f),
            Failure::Jni(e) => write!(f, "JNI call failed: {e}"),
        }
    }
}

impl std::error::Error for Failure {}

/// The result of a native method body.
pub(crate) type Outcome<T> = Result<T, Failure>;

/// An `INVALID_ARGUMENT` failure.
pub(crate) fn invalid(message: impl Into<String>) -> Failure {
    Failure::Edge(Error::invalid_argument(message))
}

/// Throws the `EdgeModuleException` for `error` (built by `NativeCallbacks.error`).
pub(crate) fn throw(env: &mut Env<'_>, error: &Error) {
    let built = (|| -> JniResult<()> {
        let message = env.new_string(error.message())?;
        let status = error.status().map_or(-1, i32::from);
        let obj = jvm::call(
            env,
            Callback::Error,
            &[
                JValue::Int(error.kind().code()),
                JValue::Object(&message),
                JValue::Int(status),
            ],
        )?
        .l()?;
        let throwable = env.cast_local::<JThrowable>(obj)?;
        // `throw` reports the (now pending) exception as an error; that is the point.
        let _ = env.throw(&throwable);
        Ok(())
    })();
    if built.is_err() && !env.exception_check() {
        let _ = env.throw(format!("edgemodule: {error}"));
    }
}

/// Throws for `failure` unless an exception is pending already.
fn throw_failure(env: &mut Env<'_>, failure: Failure) {
    if env.exception_check() {
        return;
    }
    let error = match failure {
        Failure::Edge(e) => e,
        Failure::Jni(e) => Error::new(
            ErrorKind::Internal,
            format!("internal error (a bug in edgemodule, please report it): JNI: {e}"),
        ),
    };
    throw(env, &error);
}

/// The error policy of every native method: see the module documentation.
pub(crate) struct ThrowEdgeModuleException;

impl<T: Default> ErrorPolicy<T, Failure> for ThrowEdgeModuleException {
    type Captures<'unowned_env_local: 'native_method, 'native_method> = ();

    fn on_error<'unowned_env_local: 'native_method, 'native_method>(
        env: &mut Env<'unowned_env_local>,
        _cap: &mut Self::Captures<'unowned_env_local, 'native_method>,
        err: Failure,
    ) -> JniResult<T> {
        throw_failure(env, err);
        Ok(T::default())
    }

    fn on_panic<'unowned_env_local: 'native_method, 'native_method>(
        env: &mut Env<'unowned_env_local>,
        _cap: &mut Self::Captures<'unowned_env_local, 'native_method>,
        payload: Box<dyn std::any::Any + Send + 'static>,
    ) -> JniResult<T> {
        let error = edgemodule_ffi::panic::panic_error(payload);
        throw_failure(env, Failure::Edge(error));
        Ok(T::default())
    }
}

/// Runs the body of a native method: a failure or panic becomes a pending Java exception and
/// the default value is returned.
pub(crate) fn entry<'local, T: Default>(
    env: &mut EnvUnowned<'local>,
    body: impl FnOnce(&mut Env<'local>) -> Outcome<T>,
) -> T {
    env.with_env(body).resolve::<ThrowEdgeModuleException>()
}
