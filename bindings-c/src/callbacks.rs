//! Host callbacks: the `(fn, ctx, ctx_free)` triple, and completions of async operations.

use std::ffi::c_void;

use edgemodule_core::Result;

use crate::error::report;

/// Releases a callback context. Called exactly once, after the last call of the callback
/// it was registered with: on the client's delivery thread (the log callback's on the
/// `edgemodule-log` thread or the thread replacing it); when the registering call fails,
/// before that call returns.
pub type edgemodule_ctx_free_cb = Option<unsafe extern "C" fn(ctx: *mut c_void)>;

/// Completion of an operation without a result value: `result` is `EDGEMODULE_OK` or an
/// `EDGEMODULE_E_*` code (`edgemodule_last_error_message()` has the details during the
/// call). Runs exactly once, on the client's delivery thread.
pub type edgemodule_done_cb = Option<unsafe extern "C" fn(ctx: *mut c_void, result: i32)>;

/// A host context pointer and its destructor; the destructor runs when this is dropped.
pub(crate) struct HostContext {
    ctx: *mut c_void,
    free: edgemodule_ctx_free_cb,
}

// SAFETY: the C API documents that ctx is used from the delivery thread (and ctx_free
// possibly from the registering thread); the host guarantees the pointer may move there.
// The library never dereferences it. Sync: callbacks of one registration never run
// concurrently (one delivery thread per client).
unsafe impl Send for HostContext {}
// SAFETY: see Send.
unsafe impl Sync for HostContext {}

impl HostContext {
    pub(crate) fn new(ctx: *mut c_void, free: edgemodule_ctx_free_cb) -> Self {
        HostContext { ctx, free }
    }

    pub(crate) fn ptr(&self) -> *mut c_void {
        self.ctx
    }
}

impl Drop for HostContext {
    fn drop(&mut self) {
        if let Some(free) = self.free.take() {
            // SAFETY: the host registered `free` for exactly this context.
            unsafe { free(self.ctx) };
        }
    }
}

/// A host callback function with its context.
pub(crate) struct HostCallback<F: Copy> {
    pub(crate) func: Option<F>,
    pub(crate) context: HostContext,
}

impl<F: Copy> HostCallback<F> {
    pub(crate) fn new(func: Option<F>, ctx: *mut c_void, free: edgemodule_ctx_free_cb) -> Self {
        HostCallback {
            func,
            context: HostContext::new(ctx, free),
        }
    }

    pub(crate) fn ctx(&self) -> *mut c_void {
        self.context.ptr()
    }
}

type DoneFn = unsafe extern "C" fn(*mut c_void, i32);

/// The completion of a `edgemodule_done_cb` operation: records the result as the delivery
/// thread's last error, calls the callback, then releases its context.
pub(crate) fn done(callback: HostCallback<DoneFn>) -> impl FnOnce(Result<()>) + Send + 'static {
    move |result| {
        let code = report(&result);
        if let Some(func) = callback.func {
            // SAFETY: a host callback with its own context, on the delivery thread.
            unsafe { func(callback.ctx(), code) };
        }
        drop(callback);
    }
}
