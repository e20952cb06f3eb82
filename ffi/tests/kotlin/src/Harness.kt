// The real server, the `mycase` command-line client as the survivor's laptop,
// and helpers to build inputs: the Kotlin twin of the Python suite's conftest.
package org.mycase.tests

import java.io.BufferedReader
import java.io.File
import java.io.InputStreamReader
import java.io.OutputStreamWriter
import java.nio.file.Files
import java.util.concurrent.LinkedBlockingQueue
import java.util.concurrent.TimeUnit
import kotlinx.coroutines.GlobalScope
import kotlinx.coroutines.async
import kotlinx.coroutines.withTimeout
import org.mycase.core.*

const val PASS = "correct horse battery staple"
const val TIMEOUT_MS = 60_000L

/** The value of `"key": "..."` (or a number) in one line of JSON. */
fun jsonField(line: String, key: String): String? {
    val quoted = Regex("\"" + Regex.escape(key) + "\"\\s*:\\s*\"((?:[^\"\\\\]|\\\\.)*)\"").find(line)
    if (quoted != null) return quoted.groupValues[1].replace("\\\\", "\\").replace("\\\"", "\"")
    return Regex("\"" + Regex.escape(key) + "\"\\s*:\\s*(-?[0-9]+|true|false)").find(line)?.groupValues?.get(1)
}

fun env(name: String): String = System.getenv(name) ?: error("$name is not set")

/** A line from a process, or a failure after [TIMEOUT_MS]. */
fun readLineWithin(reader: BufferedReader): String? {
    val line = java.util.concurrent.CompletableFuture<String?>()
    val t = Thread { line.complete(try { reader.readLine() } catch (e: java.io.IOException) { null }) }
    t.isDaemon = true
    t.start()
    return line.get(TIMEOUT_MS, TimeUnit.MILLISECONDS)
}

class Server : AutoCloseable {
    private val proc = ProcessBuilder(env("MYCASE_TEST_SERVER"))
        .redirectError(ProcessBuilder.Redirect.INHERIT).start()
    private val out = BufferedReader(InputStreamReader(proc.inputStream))
    private val input = OutputStreamWriter(proc.outputStream)
    val url: String
    val caCert: String
    val serverKey: String
    val caPem: String

    init {
        val hello = readLineWithin(out) ?: error("the test server said nothing")
        url = jsonField(hello, "url")!!
        caCert = jsonField(hello, "ca_cert")!!
        serverKey = jsonField(hello, "server_key")!!
        caPem = File(caCert).readText()
    }

    fun command(line: String): String {
        input.write(line + "\n")
        input.flush()
        val answer = readLineWithin(out) ?: error("the test server stopped")
        check(jsonField(answer, "ok") == "true") { answer }
        return answer
    }

    fun stop() { command("stop") }
    fun start() { command("start") }
    fun tamper(deviceId: String) { command("tamper $deviceId") }

    override fun close() {
        input.close()
        proc.waitFor(TIMEOUT_MS, TimeUnit.MILLISECONDS)
    }
}

class Ran(val code: Int, val stdout: String, val stderr: String)

/** The command-line client on its own home: the survivor's laptop. */
class Cli(val home: File, private val server: Server) {
    private fun builder(vararg args: String): ProcessBuilder {
        val b = ProcessBuilder(listOf(env("MYCASE_BIN"), "--home", home.path) + args)
        val e = b.environment()
        e.keys.filter { it.startsWith("MYCASE_") }.forEach { e.remove(it) }
        e["MYCASE_PASSPHRASE"] = PASS
        return b
    }

    fun run(vararg args: String, check: Boolean = true): Ran {
        val outFile = Files.createTempFile("mycase-out", ".txt").toFile()
        val errFile = Files.createTempFile("mycase-err", ".txt").toFile()
        try {
            val p = builder(*args).redirectInput(File("/dev/null"))
                .redirectOutput(outFile).redirectError(errFile).start()
            check(p.waitFor(120, TimeUnit.SECONDS)) { "mycase ${args.toList()} did not finish" }
            val ran = Ran(p.exitValue(), outFile.readText(), errFile.readText())
            if (check) check(ran.code == 0) { "mycase ${args.toList()} failed: ${ran.stderr}" }
            return ran
        } finally {
            outFile.delete()
            errFile.delete()
        }
    }

    fun spawn(vararg args: String): Process = builder(*args).start()
}

class Events : JournalListener {
    val queue = LinkedBlockingQueue<JournalEvent>()
    val threads = java.util.Collections.synchronizedSet(mutableSetOf<Long>())

    override fun onEvent(event: JournalEvent) {
        threads.add(Thread.currentThread().id)
        queue.put(event)
    }

    /** The next event of type [T], others skipped. */
    inline fun <reified T : JournalEvent> waitFor(): T {
        val deadline = System.currentTimeMillis() + TIMEOUT_MS
        while (true) {
            val left = deadline - System.currentTimeMillis()
            check(left > 0) { "no ${T::class.simpleName} event came" }
            val e = queue.poll(left, TimeUnit.MILLISECONDS) ?: error("no ${T::class.simpleName} event came")
            if (e is T) return e
        }
    }
}

class Progress : ProgressListener {
    val calls = java.util.Collections.synchronizedList(mutableListOf<Pair<ULong, ULong>>())
    override fun onProgress(done: ULong, total: ULong) { calls.add(done to total) }
}

class Matching : JoinListener {
    override fun showMatchingCode(matchingCode: String) {}
}

/** Stands in for the Android Keystore. */
class MemoryKeystore : SecretStore {
    val secrets = java.util.concurrent.ConcurrentHashMap<String, ByteArray>()
    override fun put(name: String, secret: ByteArray) { secrets[name] = secret.copyOf() }
    override fun get(name: String): ByteArray? = secrets[name]
    override fun contains(name: String): Boolean = secrets.containsKey(name)
    override fun delete(name: String) { secrets.remove(name) }
}

fun newJournal(dir: File, name: String = "phone", keystore: SecretStore? = null) =
    Journal(File(dir, name).path, keystore)

suspend fun create(journal: Journal, server: Server, name: String = "phone") =
    journal.createJournal(CreateJournal(server.url, server.caPem, name, PASS, null))

val noDate = DateParts("", "", "", "")
val everything = EntryFilter("", "", listOf(), listOf(), listOf())

fun entry(
    title: String,
    text: String,
    whenWords: String = "14/03/2026 21:30",
    categories: List<String> = listOf(),
    severity: UInt? = null,
    newPeople: List<PersonInput> = listOf(),
    policeReferences: List<String> = listOf(),
) = EntryInput(
    title, text, WhenInput(WhenKind.WORDS, noDate, noDate, whenWords), false,
    categories, listOf(), severity, "", listOf(), newPeople, "", policeReferences, listOf(), "",
)

/** Adds the laptop to the phone's journal by pairing code, as a survivor does. */
suspend fun pairCli(journal: Journal, cli: Cli, server: Server, name: String = "laptop"): AddedDevice {
    val pairing = journal.beginPairing()
    val join = cli.spawn(
        "join", "--server", server.url, "--code", pairing.code(),
        "--ca-cert", server.caCert, "--device-name", name, "--json",
    )
    try {
        val out = BufferedReader(InputStreamReader(join.inputStream))
        // The laptop shows its matching code only once the phone answered it.
        val asked = GlobalScope.async { pairing.awaitRequest() }
        val shown = readLineWithin(out) ?: error("mycase join said nothing")
        val request = withTimeout(TIMEOUT_MS) { asked.await() }
        check(request.name == name)
        val added = withTimeout(TIMEOUT_MS) { pairing.confirm(jsonField(shown, "matching_code")!!) }
        val joined = readLineWithin(out) ?: error("mycase join did not say it joined")
        check(join.waitFor(TIMEOUT_MS, TimeUnit.MILLISECONDS)) { "mycase join did not end" }
        check(join.exitValue() == 0) { join.errorStream.bufferedReader().readText() }
        check(added.deviceId == jsonField(joined, "device_id"))
        return added
    } finally {
        join.destroy()
    }
}
