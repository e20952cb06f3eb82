// A survivor's phone through the Kotlin bindings, as an Android app calls them,
// beside their laptop running the command-line client, against a real server.
package org.mycase.tests

import java.io.File
import kotlinx.coroutines.runBlocking
import org.junit.Assert.assertEquals
import org.junit.Assert.assertFalse
import org.junit.Assert.assertNotEquals
import org.junit.Assert.assertNull
import org.junit.Assert.assertTrue
import org.junit.Rule
import org.junit.Test
import org.junit.rules.TemporaryFolder
import org.mycase.core.*

class JourneyTest {
    @get:Rule val tmp = TemporaryFolder()

    @Test fun thePhoneJourney() = runBlocking {
        Server().use { server ->
            val dir = tmp.root
            val phone = newJournal(dir)
            assertFalse(phone.status().setUp)
            val created = create(phone, server)
            assertNull(created.firstSyncProblem)
            assertTrue(created.recoveryKit.length > 20)

            // An entry with its fields, a person added with it.
            val first = phone.addEntry(
                entry(
                    "Kitchen", "He threw the phone at the wall.",
                    categories = listOf("Threats"), severity = 4u,
                    newPeople = listOf(PersonInput("Dave Smith", "causing-harm", "")),
                    policeReferences = listOf("CAD 1234"),
                )
            )
            val got = phone.entry(first)
            assertEquals("He threw the phone at the wall.", got.text)
            assertEquals(listOf("threats"), got.categories.map { it.slug })
            assertTrue(got.`when`!!.display, got.`when`!!.display.startsWith("Sat 14 March 2026"))
            assertEquals(listOf("Dave Smith"), got.people.map { it.name })
            assertTrue(phone.findPerson("dave") is PersonLookup.One)

            // Evidence from a file with progress, and back out to a file.
            val photo = File(dir, "bruise.bin")
            photo.writeBytes(ByteArray(600_000) { (it % 251).toByte() })
            val progress = Progress()
            val attached = phone.attachFile(first, photo.path, progress)
            assertEquals(photo.length().toULong(), attached.size)
            assertTrue(progress.calls.isNotEmpty())
            assertEquals(progress.calls.last().first, progress.calls.last().second)
            val info = phone.attachments(first).single()
            val saved = File(dir, "saved.bin")
            phone.saveAttachment(first, info.attachmentId, saved.path, null)
            assertTrue(saved.readBytes().contentEquals(photo.readBytes()))

            // The laptop joins by pairing code; both sync.
            val laptop = Cli(File(dir, "laptop"), server)
            val added = pairCli(phone, laptop, server)
            assertTrue(laptop.run("list", "--json").stdout.contains("He threw the phone at the wall."))

            // Live: the laptop writes, the phone hears of it without asking.
            val events = Events()
            val service = phone.startSync(events)
            laptop.run("add", "--title", "Texts", "--text", "Fourteen messages tonight.")
            laptop.run("sync")
            val changed = events.waitFor<JournalEvent.JournalChanged>()
            assertTrue(changed.records >= 1u)
            assertTrue(phone.entries().any { it.excerpt == "Fourteen messages tonight." })
            assertFalse(Thread.currentThread().id in events.threads)
            assertEquals(listOf("Texts"), phone.search("fourteen tonight").map { it.title })
            service.stop()
            assertFalse(service.isRunning())
            service.close()

            // The phone's amendment reaches the laptop.
            phone.amendEntry(first, entry("Kitchen", "He threw the phone at the wall, then left."))
            phone.syncNow()
            laptop.run("sync")
            assertTrue(laptop.run("show", first, "--json").stdout.contains("then left"))

            // Share with an advocate; `mycase share open` opens the link.
            val link = phone.createShare(
                ShareRequest(listOf(first), "", "", listOf(), listOf(), "7d", 3u, null, false, false)
            )
            val opened = laptop.run("share", "open", "--ca-cert", server.caCert, "--json", link.link)
            assertTrue(opened.stdout.contains("then left"))
            val summary = phone.shares().shares.single()
            assertEquals(link.shareId, summary.shareId)
            assertEquals(1u, summary.views)
            phone.revokeShare(link.shareId)
            val again = laptop.run("share", "open", "--ca-cert", server.caCert, "--json", link.link, check = false)
            assertNotEquals(0, again.code)

            // Export; the laptop's `mycase verify` checks it, and so does the library.
            val doc = File(dir, "chronology.html")
            val exported = phone.exportToPath(ExportFormat.HTML, everything, false, AttachmentFiles.ORIGINALS, doc.path)
            assertEquals(2uL, exported.entries)
            assertEquals(1uL, exported.attachmentsWritten)
            val verified = laptop.run("verify", doc.path, "--server-key", server.serverKey)
            assertTrue(verified.stdout.lowercase().contains("verified"))
            val report = verifyExportFile(doc.path, server.serverKey)
            assertTrue(report.problems.toString(), report.ok)

            // Patterns' figures.
            assertEquals(2uL, phone.patterns(everything, "2026-04-01").entries)

            // Revoke the laptop: it erases itself at its next sync.
            phone.revokeDevice(added.deviceId)
            laptop.run("sync", check = false)
            assertFalse(File(laptop.home, "keys").exists())
            assertEquals(listOf(true), phone.devices().filter { !it.thisDevice }.map { it.revoked })

            // Wipe the phone.
            phone.wipeDevice()
            assertFalse(phone.status().setUp)
            assertFalse(phone.status().unlocked)
            phone.close()
        }
    }
}
