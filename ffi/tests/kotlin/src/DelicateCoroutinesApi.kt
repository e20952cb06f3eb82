// The generated bindings mark their use of GlobalScope with
// `@OptIn(DelicateCoroutinesApi::class)`, a marker kotlinx-coroutines added in 1.5.
// The only kotlinx-coroutines this machine's package registries carry is Debian's
// 1.0.1, which has everything the bindings call (GlobalScope, launch,
// suspendCancellableCoroutine) but not the marker. The marker changes nothing at
// run time (it only gates a compiler warning), so this suite declares it. An app
// build takes a current kotlinx-coroutines from Maven Central instead.
package kotlinx.coroutines

@RequiresOptIn
@Retention(AnnotationRetention.BINARY)
annotation class DelicateCoroutinesApi
