"""A survivor's phone, end to end through the bindings, beside their laptop
running the command-line client, against a real server."""

import asyncio
import json
import os

import mycase
import pytest
from conftest import (
    PASS,
    Cli,
    Events,
    Progress,
    create,
    entry,
    new_journal,
    pair_cli,
)


def test_the_phone_journey(server, tmp_path):
    asyncio.run(journey(server, tmp_path))


async def journey(server, tmp_path):
    phone = new_journal(tmp_path)
    assert not phone.status().set_up
    created = await create(phone, server)
    assert created.first_sync_problem is None
    assert len(created.recovery_kit) > 20
    status = phone.status()
    assert status.set_up and status.unlocked and status.device_name == "phone"

    # An entry with every field, and a person added with it.
    first = await phone.add_entry(
        entry(
            "Kitchen",
            "He threw the phone at the wall.",
            categories=["Threats"],
            tags=["phone"],
            severity=4,
            location="Home",
            new_people=[mycase.PersonInput(name="Dave Smith", role="causing-harm", notes="")],
            injuries="Bruised arm",
            police_references=["CAD 1234"],
            actions_taken=["Called 101"],
            impact="Could not sleep",
        )
    )
    got = await phone.entry(first)
    assert got.text == "He threw the phone at the wall."
    assert [c.slug for c in got.categories] == ["threats"]
    assert got.when.display.startswith("Sat 14 March 2026")
    assert [p.name for p in got.people] == ["Dave Smith"]
    assert got.police_references == ["CAD 1234"] and got.severity == 4
    found = await phone.find_person("dave")
    assert isinstance(found, mycase.PersonLookup.ONE)

    # Evidence from a file, with progress, and back out to a file.
    photo = tmp_path / "bruise.txt"
    photo.write_bytes(b"evidence bytes " * 50_000)
    progress = Progress()
    attached = await phone.attach_file(first, str(photo), progress)
    assert attached.size == photo.stat().st_size
    assert progress.calls and progress.calls[-1][0] == progress.calls[-1][1]
    [info] = await phone.attachments(first)
    out = tmp_path / "saved.txt"
    await phone.save_attachment(first, info.attachment_id, str(out), None)
    assert out.read_bytes() == photo.read_bytes()

    # The laptop joins by pairing code; both sync.
    laptop = Cli(tmp_path / "laptop", server)
    added = await pair_cli(phone, laptop, server)
    listed = laptop.json("list", "--json")
    assert [e["text"] for e in listed] == ["He threw the phone at the wall."]

    # Live: the laptop writes, the phone hears of it without asking.
    events = Events()
    service = phone.start_sync(events)
    # The sync state is told as it changes: up to date once it has caught up.
    while True:
        state = (await events.wait_for(mycase.JournalEvent.SYNC_CHANGED)).status.state
        if state == mycase.SyncState.UP_TO_DATE:
            break
        assert state in (mycase.SyncState.SYNCING, mycase.SyncState.STOPPED), state
    laptop.run("add", "--title", "Texts", "--text", "Fourteen messages tonight.")
    laptop.run("sync")
    changed = await events.wait_for(mycase.JournalEvent.JOURNAL_CHANGED)
    assert changed.records >= 1
    texts = [e.excerpt for e in await phone.entries()]
    assert "Fourteen messages tonight." in texts
    assert [e.title for e in await phone.search("fourteen tonight")] == ["Texts"]
    await service.stop()
    assert not service.is_running()

    # The phone's amendment reaches the laptop.
    amended = entry("Kitchen", "He threw the phone at the wall, then left.")
    await phone.amend_entry(first, amended)
    await phone.sync_now()
    laptop.run("sync")
    shown = laptop.json("show", first, "--json")
    assert "then left" in json.dumps(shown)

    # Share with an advocate; the link opens with `mycase share open`.
    link = await phone.create_share(
        mycase.ShareRequest(
            entry_ids=[first], _from="", to="", categories=[], tags=[],
            expires="7d", max_views=3, password=None,
            include_attachments=False, keep_location=False,
        )
    )
    opened = laptop.run("share", "open", "--ca-cert", server.ca_cert, "--json", link.link)
    assert "then left" in opened.stdout
    shares = await phone.shares()
    [summary] = shares.shares
    assert summary.share_id == link.share_id and summary.views == 1
    await phone.revoke_share(link.share_id)
    again = laptop.run("share", "open", "--ca-cert", server.ca_cert, "--json", link.link, check=False)
    assert again.returncode != 0

    # Export, then the laptop's `mycase verify` checks it.
    doc = tmp_path / "chronology.html"
    exported = await phone.export_to_path(
        mycase.ExportFormat.HTML, mycase.EntryFilter(_from="", to="", categories=[], people=[], tags=[]),
        False, mycase.AttachmentFiles.ORIGINALS, str(doc),
    )
    assert exported.entries == 2 and exported.attachments_written == 1
    verified = laptop.run("verify", str(doc), "--server-key", server.server_key)
    assert "verified" in verified.stdout.lower()
    report = mycase.verify_export_file(str(doc), server.server_key)
    assert report.ok, report.problems

    # Words withheld from one export and one share: not in either, marked,
    # and the export still verifies.
    withhold = [
        mycase.WithholdChoice(entry=first[:8], field="text", words="then left"),
        mycase.WithholdChoice(entry=first[:8], field="location", words=None),
    ]
    kept_back = tmp_path / "withheld.html"
    await phone.export_with(
        mycase.ExportOptions(
            format=mycase.ExportFormat.HTML,
            filter=mycase.EntryFilter(_from="", to="", categories=[], people=[], tags=[]),
            attachments=mycase.AttachmentFiles.NONE,
            path=str(kept_back),
            case_reference="NMO/2026/0077",
            withhold=withhold,
        )
    )
    page = kept_back.read_text()
    assert "then left" not in page and "[withheld]" in page
    assert "Case reference: NMO/2026/0077" in page
    verified = laptop.run("verify", str(kept_back), "--server-key", server.server_key)
    assert "withheld part of the text" in verified.stdout, verified.stdout
    with pytest.raises(mycase.MycaseError.InvalidInput) as refused:
        await phone.export_with(
            mycase.ExportOptions(
                format=mycase.ExportFormat.JSON,
                filter=mycase.EntryFilter(_from="", to="", categories=[], people=[], tags=[]),
                attachments=mycase.AttachmentFiles.NONE,
                path=str(tmp_path / "refused.json"),
                withhold=[mycase.WithholdChoice(entry=first[:8], field="text", words="not there")],
            )
        )
    assert refused.value.field == "withhold"
    assert not (tmp_path / "refused.json").exists()
    shared = await phone.create_share(
        mycase.ShareRequest(
            entry_ids=[first], _from="", to="", categories=[], tags=[],
            expires="7d", max_views=3, password=None,
            include_attachments=False, keep_location=False, withhold=withhold,
        )
    )
    seen = laptop.run("share", "open", "--ca-cert", server.ca_cert, "--json", shared.link)
    assert "then left" not in seen.stdout and "[withheld]" in seen.stdout

    # Patterns' figures.
    figures = await phone.patterns(
        mycase.EntryFilter(_from="", to="", categories=[], people=[], tags=[]), "2026-04-01"
    )
    assert figures.entries == 2
    assert json.loads(figures.figures_json)["entries"] == 2

    # Revoke the laptop: it erases itself at its next sync.
    revoked = await phone.revoke_device(added.device_id)
    assert revoked.device_id == added.device_id
    laptop.run("sync", check=False)
    assert not os.path.exists(os.path.join(laptop.home, "keys"))
    [me] = [d for d in await phone.devices() if d.this_device]
    assert [d.revoked for d in await phone.devices() if not d.this_device] == [True]
    assert me.name == "phone"

    # Wipe the phone.
    await phone.wipe_device()
    assert not phone.status().set_up
    assert not phone.status().unlocked
