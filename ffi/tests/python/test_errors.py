"""Each way a call can fail comes out as its own typed error, and leaves what
the device had stored as it was."""

import asyncio
import os

import pytest

import mycase
from conftest import PASS, Cli, Matching, create, entry, new_journal, pair_cli


def run(coro):
    return asyncio.run(coro)


def test_a_wrong_passphrase_is_typed_and_changes_nothing(server, tmp_path):
    async def go():
        phone = new_journal(tmp_path)
        await create(phone, server)
        kept = await phone.add_entry(entry("Kept", "before the wrong passphrase"))
        await phone.lock()
        with pytest.raises(mycase.MycaseError.Locked):
            await phone.entries()
        with pytest.raises(mycase.MycaseError.WrongPassphrase) as wrong:
            await phone.unlock("not the passphrase")
        assert wrong.value.wait_secs == 0
        assert "not the passphrase" not in str(wrong.value)
        assert not phone.is_unlocked()
        await phone.unlock(PASS)
        assert [e.id for e in await phone.entries()] == [kept]

    run(go())


def test_a_bad_pairing_code_is_typed_and_sets_nothing_up(server, tmp_path):
    async def go():
        phone = new_journal(tmp_path)
        await create(phone, server)
        stranger = new_journal(tmp_path, "stranger")
        for code, kind in [
            ("not a code", mycase.MycaseError.PairingFailed),
            ("ABCD-EFGH-JKMN-PQRS", mycase.MycaseError.PairingFailed),
        ]:
            with pytest.raises(kind):
                await stranger.join_journal(
                    mycase.JoinJournal(
                        server_url=server.url, ca_cert_pem=server.ca_pem,
                        device_name="stranger", pairing_code=code, passphrase=PASS,
                    ),
                    Matching(),
                )
            assert not stranger.status().set_up
            assert not os.path.exists(tmp_path / "stranger" / "keys")

    run(go())


def test_a_server_that_is_down_is_typed_and_local_work_goes_on(server, tmp_path):
    async def go():
        phone = new_journal(tmp_path)
        await create(phone, server)
        server.stop()
        offline = await phone.add_entry(entry("Offline", "written with the server down"))
        with pytest.raises(mycase.MycaseError.ServerUnreachable):
            await phone.sync_now()
        assert phone.status().sync.pending_upload >= 1
        assert [e.id for e in await phone.entries()] == [offline]
        server.start()
        sent = await phone.sync_now()
        assert sent.sent >= 1
        assert phone.status().sync.pending_upload == 0

    run(go())


def test_a_server_that_is_down_at_set_up_is_typed_and_sets_nothing_up(server, tmp_path):
    async def go():
        server.stop()
        phone = new_journal(tmp_path)
        with pytest.raises(mycase.MycaseError.ServerUnreachable):
            await create(phone, server)
        assert not phone.status().set_up

    run(go())


def test_a_tampered_record_is_refused_and_nothing_of_it_is_kept(server, tmp_path):
    async def go():
        phone = new_journal(tmp_path)
        await create(phone, server)
        laptop = Cli(tmp_path / "laptop", server)
        added = await pair_cli(phone, laptop, server)
        # What the laptop writes honestly arrives: the sync below is a real one.
        laptop.run("add", "--title", "Honest", "--text", "what the server keeps as sent")
        laptop.run("sync")
        await phone.sync_now()
        before = [(e.id, e.excerpt) for e in await phone.entries()]
        assert [excerpt for _, excerpt in before] == ["what the server keeps as sent"]
        laptop.run("add", "--title", "Altered", "--text", "what the server will alter")
        laptop.run("sync")
        server.tamper(added.device_id)
        # The sync itself succeeds (the rest of the journal keeps syncing); the
        # laptop's changes from the altered record on are set aside and named.
        await phone.sync_now()
        devices = {d.device_id: d for d in await phone.devices()}
        why = devices[added.device_id].changes_set_aside
        assert why is not None and "failed verification" in why, why
        assert [(e.id, e.excerpt) for e in await phone.entries()] == before

    run(go())


def test_bad_input_is_typed_with_its_field(server, tmp_path):
    async def go():
        phone = new_journal(tmp_path)
        await create(phone, server)
        with pytest.raises(mycase.MycaseError.InvalidInput) as bad:
            await phone.add_entry(entry("Future", "not yet", when="14/03/2099"))
        assert bad.value.field
        with pytest.raises(mycase.MycaseError.NotFound):
            await phone.entry("00" * 16)
        with pytest.raises(mycase.MycaseError.AlreadySetUp):
            await create(phone, server)
        assert await phone.entries() == []

    run(go())
