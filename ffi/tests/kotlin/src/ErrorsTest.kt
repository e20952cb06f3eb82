// Each way a call can fail comes out as its own MycaseException subclass, and
// leaves what the device had stored as it was.
package org.mycase.tests

import java.io.File
import kotlinx.coroutines.runBlocking
import org.junit.Assert.assertEquals
import org.junit.Assert.assertFalse
import org.junit.Assert.assertTrue
import org.junit.Assert.fail
import org.junit.Rule
import org.junit.Test
import org.junit.rules.TemporaryFolder
import org.mycase.core.*

/** Runs [block], which must throw a [T]; returns it. */
inline fun <reified T : Throwable> expect(block: () -> Unit): T {
    try {
        block()
    } catch (e: Throwable) {
        if (e is T) return e
        throw AssertionError("expected ${T::class.simpleName}, got $e", e)
    }
    fail("expected ${T::class.simpleName}, nothing was thrown")
    throw IllegalStateException()
}

class ErrorsTest {
    @get:Rule val tmp = TemporaryFolder()

    @Test fun aWrongPassphraseIsTypedAndChangesNothing() = runBlocking {
        Server().use { server ->
            val phone = newJournal(tmp.root)
            create(phone, server)
            val kept = phone.addEntry(entry("Kept", "before the wrong passphrase"))
            phone.lock()
            expect<MycaseException.Locked> { runBlocking { phone.entries() } }
            val wrong = expect<MycaseException.WrongPassphrase> { runBlocking { phone.unlock("not the passphrase") } }
            assertEquals(0uL, wrong.waitSecs)
            assertFalse(wrong.message!!.contains("not the passphrase"))
            assertFalse(phone.isUnlocked())
            phone.unlock(PASS)
            assertEquals(listOf(kept), phone.entries().map { it.id })
        }
    }

    @Test fun aBadPairingCodeIsTypedAndSetsNothingUp() = runBlocking {
        Server().use { server ->
            val stranger = newJournal(tmp.root, "stranger")
            for (code in listOf("not a code", "ABCD-EFGH-JKMN-PQRS")) {
                expect<MycaseException.PairingFailed> {
                    runBlocking {
                        stranger.joinJournal(JoinJournal(server.url, server.caPem, "stranger", code, PASS), Matching())
                    }
                }
                assertFalse(stranger.status().setUp)
                assertFalse(File(tmp.root, "stranger/keys").exists())
            }
        }
    }

    @Test fun aServerThatIsDownIsTypedAndLocalWorkGoesOn() = runBlocking {
        Server().use { server ->
            val phone = newJournal(tmp.root)
            create(phone, server)
            server.stop()
            val offline = phone.addEntry(entry("Offline", "written with the server down"))
            expect<MycaseException.ServerUnreachable> { runBlocking { phone.syncNow() } }
            assertTrue(phone.status().sync.pendingUpload >= 1uL)
            assertEquals(listOf(offline), phone.entries().map { it.id })
            server.start()
            assertTrue(phone.syncNow().sent >= 1uL)
            assertEquals(0uL, phone.status().sync.pendingUpload)
        }
    }

    @Test fun aTamperedRecordIsRefusedAndNothingOfItIsKept() = runBlocking {
        Server().use { server ->
            val phone = newJournal(tmp.root)
            create(phone, server)
            val laptop = Cli(File(tmp.root, "laptop"), server)
            val added = pairCli(phone, laptop, server)
            laptop.run("add", "--title", "Honest", "--text", "what the server keeps as sent")
            laptop.run("sync")
            phone.syncNow()
            val before = phone.entries().map { it.id to it.excerpt }
            assertEquals(listOf("what the server keeps as sent"), before.map { it.second })
            laptop.run("add", "--title", "Altered", "--text", "what the server will alter")
            laptop.run("sync")
            server.tamper(added.deviceId)
            // The sync itself succeeds (the rest of the journal keeps syncing); the
            // laptop's changes from the altered record on are set aside and named.
            phone.syncNow()
            val laptopSeen = phone.devices().single { it.deviceId == added.deviceId }
            val why = laptopSeen.changesSetAside
            assertTrue("set aside: $why", why != null && why.contains("failed verification"))
            assertEquals(before, phone.entries().map { it.id to it.excerpt })
        }
    }

    @Test fun keystoreUnlockWithThePassphraseAsFallback() = runBlocking {
        Server().use { server ->
            val keystore = MemoryKeystore()
            val phone = newJournal(tmp.root, keystore = keystore)
            create(phone, server)
            val kept = phone.addEntry(entry("Kept", "behind biometrics"))
            phone.enableKeystoreUnlock()
            val (name, key) = keystore.secrets.entries.single().toPair()
            assertEquals(32, key.size)
            phone.lock()
            phone.unlockWithKeystore()
            assertEquals(listOf(kept), phone.entries().map { it.id })
            keystore.secrets[name] = ByteArray(32)
            phone.lock()
            expect<MycaseException.KeyNotAccepted> { runBlocking { phone.unlockWithKeystore() } }
            phone.unlock(PASS)
            assertTrue(keystore.secrets[name]!!.contentEquals(key))
            phone.wipeDevice()
            assertTrue(keystore.secrets.isEmpty())
        }
    }
}
