"""Callbacks from the core's threads, dropped handles, and the platform keystore."""

import asyncio
import gc
import threading

import pytest

import mycase
from conftest import PASS, Events, MemoryKeystore, Progress, create, entry, new_journal


def live_callbacks(converter):
    """How many host objects of one callback interface Rust still holds."""
    return len(converter._handle_map._map)


async def released_within(converter, timeout=10):
    """Waits until Rust holds none of them: a drop cannot wait itself."""
    deadline = asyncio.get_running_loop().time() + timeout
    while live_callbacks(converter):
        assert asyncio.get_running_loop().time() < deadline, "a listener was never released"
        await asyncio.sleep(0)


def test_dropped_sync_services_release_their_listeners(server, tmp_path):
    async def go():
        phone = new_journal(tmp_path)
        await create(phone, server)
        listeners = mycase._UniffiFfiConverterTypeJournalListener
        assert live_callbacks(listeners) == 0
        for round in range(20):
            events = Events()
            service = phone.start_sync(events)
            assert service.is_running()
            await phone.add_entry(entry("Loop", "one more"))
            await events.wait_for(mycase.JournalEvent.LOCAL_CHANGE)
            # Called from the core's threads, never this one.
            assert threading.get_ident() not in events.threads
            if round % 2 == 0:
                # stop() returns once the listener had its last call.
                await service.stop()
                assert live_callbacks(listeners) == 0
                del service
            else:
                # Dropped without stop: released once a call in progress returns.
                del service
                gc.collect()
                await released_within(listeners)
        # A stopped service and a dropped journal release theirs too.
        service = phone.start_sync(Events())
        await service.stop()
        del service
        del phone
        gc.collect()
        assert live_callbacks(listeners) == 0

    asyncio.run(go())


def test_progress_listeners_are_released_after_the_call(server, tmp_path):
    async def go():
        phone = new_journal(tmp_path)
        await create(phone, server)
        first = await phone.add_entry(entry("Photo", "a photo"))
        f = tmp_path / "photo.bin"
        f.write_bytes(bytes(range(256)) * 4000)
        for _ in range(5):
            await phone.attach_file(first, str(f), Progress())
        gc.collect()
        assert live_callbacks(mycase._UniffiFfiConverterTypeProgressListener) == 0

    asyncio.run(go())


def test_keystore_unlock_and_the_passphrase_as_fallback(server, tmp_path):
    async def go():
        keystore = MemoryKeystore()
        phone = new_journal(tmp_path, keystore=keystore)
        await create(phone, server)
        kept = await phone.add_entry(entry("Kept", "behind biometrics"))
        assert not phone.keystore_unlock_enabled()
        await phone.enable_keystore_unlock()
        assert phone.keystore_unlock_enabled()
        [(name, key)] = keystore.secrets.items()
        # The keystore holds a key, never the passphrase.
        assert PASS.encode() not in key and len(key) == 32
        await phone.lock()
        await phone.unlock_with_keystore()
        assert [e.id for e in await phone.entries()] == [kept]

        # A keystore entry that is not this device's is refused, not counted.
        keystore.secrets[name] = bytes(32)
        await phone.lock()
        with pytest.raises(mycase.MycaseError.KeyNotAccepted):
            await phone.unlock_with_keystore()
        # The passphrase still works, and brings the keystore up to date.
        await phone.unlock(PASS)
        assert keystore.secrets[name] == key
        await phone.change_passphrase(PASS, "a brand new passphrase", True)
        assert keystore.secrets[name] != key
        await phone.lock()
        await phone.unlock_with_keystore()

        phone.disable_keystore_unlock()
        await phone.lock()
        with pytest.raises(mycase.MycaseError.SecretStore):
            await phone.unlock_with_keystore()

        # Wiping removes the keystore's key too.
        await phone.unlock("a brand new passphrase")
        await phone.enable_keystore_unlock()
        await phone.wipe_device()
        assert keystore.secrets == {}

    asyncio.run(go())


def test_a_journal_without_a_keystore_says_so(server, tmp_path):
    async def go():
        phone = new_journal(tmp_path)
        await create(phone, server)
        assert not phone.keystore_unlock_enabled()
        with pytest.raises(mycase.MycaseError.SecretStore):
            await phone.enable_keystore_unlock()

    asyncio.run(go())
