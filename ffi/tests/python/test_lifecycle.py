"""The rest of a journal's life through the bindings: the trash, a clash of
edits settled on the phone, recovery on a new phone with the kit, and the
account's deletion erasing every device."""

import asyncio
import os

import mycase
from conftest import PASS, Cli, create, entry, new_journal, pair_cli


def test_trash_a_settled_clash_recovery_and_account_deletion(server, tmp_path):
    asyncio.run(lifecycle(server, tmp_path))


async def lifecycle(server, tmp_path):
    phone = new_journal(tmp_path)
    kit = (await create(phone, server)).recovery_kit

    # The trash: deleted, listed there, restored.
    kitchen = await phone.add_entry(entry("Kitchen", "He shouted in the kitchen."))
    await phone.delete_entry(kitchen)
    assert await phone.entries() == []
    assert [t.entry.id for t in await phone.trash()] == [kitchen]
    await phone.restore_entry(kitchen)
    assert [e.id for e in await phone.entries()] == [kitchen]
    assert await phone.trash() == []

    # The same title changed on the phone and on the laptop, neither having
    # seen the other's change: a clash, shown with both versions, settled on
    # the phone, and the laptop sees the settled title.
    laptop = Cli(tmp_path / "laptop", server)
    await pair_cli(phone, laptop, server)
    await phone.sync_now()
    laptop.run("sync")
    await phone.amend_entry(kitchen, entry("Shouting in the kitchen", "He shouted in the kitchen."))
    laptop.run("amend", kitchen[:8], "--title", "In the kitchen at night")
    laptop.run("sync")
    await phone.sync_now()
    clashing = await phone.entry(kitchen)
    assert [c.field for c in clashing.conflicts] == ["title"]
    versions = clashing.conflicts[0].versions
    assert sorted(v.value for v in versions) == ["In the kitchen at night", "Shouting in the kitchen"]
    chosen = next(v for v in versions if v.value == "In the kitchen at night")
    await phone.resolve_conflict(kitchen, "title", chosen.choice)
    settled = await phone.entry(kitchen)
    assert settled.conflicts == [] and settled.title == "In the kitchen at night"
    await phone.sync_now()
    laptop.run("sync")
    assert laptop.json("show", kitchen[:8], "--json")["title"] == "In the kitchen at night"

    # A new phone from the recovery kit alone holds the journal.
    spare = new_journal(tmp_path, "new-phone")
    await spare.recover_journal(
        mycase.RecoverJournal(
            server_url=server.url,
            ca_cert_pem=server.ca_pem,
            device_name="new phone",
            recovery_kit=kit,
            passphrase=PASS,
        )
    )
    assert spare.status().unlocked
    await spare.sync_now()
    assert [e.title for e in await spare.entries()] == ["In the kitchen at night"]

    # Deleting the account: a wrong passphrase deletes nothing; the right one
    # erases this device, and the first phone erases itself when it hears.
    try:
        await spare.delete_account("not the passphrase")
        raise AssertionError("deleted with a wrong passphrase")
    except mycase.MycaseError.WrongPassphrase:
        pass
    await phone.sync_now()
    assert len(await phone.entries()) == 1
    await spare.delete_account(PASS)
    assert not spare.status().set_up
    try:
        await phone.sync_now()
        raise AssertionError("the first phone synced with a deleted account")
    except mycase.MycaseError.AccountDeleted:
        pass
    assert not phone.status().set_up
    assert not os.path.exists(tmp_path / "phone" / "keys")
