//! The TIFF structure inside EXIF data: whether it holds a GPS directory, and
//! erasing that directory in place.
//!
//! Erasing in place keeps every byte outside the GPS data where it was, so no
//! offset in the structure (the camera's directory, the thumbnail, a maker
//! note) and none in the file around it (a JPEG's MPF index of further images)
//! needs rewriting. The pointer to the GPS directory is taken out of its
//! directory, and the GPS directory and every value it points to are zeroed, so
//! the coordinates are not left behind unreferenced either.

/// The EXIF tag of the pointer to the GPS directory.
const GPS_IFD_POINTER: u16 = 0x8825;
/// GPSVersionID: the only GPS tag that does not place the photo.
const GPS_VERSION: u16 = 0;
/// Directories followed through the "next directory" links (IFD0, IFD1 and a
/// few more), so a crafted loop cannot run forever.
const MAX_DIRECTORIES: usize = 8;
/// One directory entry: tag, type, count, value or offset.
const ENTRY_LEN: usize = 12;

#[derive(Clone, Copy)]
enum ByteOrder {
    Little,
    Big,
}

impl ByteOrder {
    fn of(tiff: &[u8]) -> Option<ByteOrder> {
        match tiff.get(..4)? {
            [b'I', b'I', 42, 0] => Some(ByteOrder::Little),
            [b'M', b'M', 0, 42] => Some(ByteOrder::Big),
            _ => None,
        }
    }

    fn u16(self, b: &[u8], at: usize) -> Option<u16> {
        let x: [u8; 2] = b.get(at..at.checked_add(2)?)?.try_into().ok()?;
        Some(match self {
            ByteOrder::Little => u16::from_le_bytes(x),
            ByteOrder::Big => u16::from_be_bytes(x),
        })
    }

    fn u32(self, b: &[u8], at: usize) -> Option<u32> {
        let x: [u8; 4] = b.get(at..at.checked_add(4)?)?.try_into().ok()?;
        Some(match self {
            ByteOrder::Little => u32::from_le_bytes(x),
            ByteOrder::Big => u32::from_be_bytes(x),
        })
    }

    fn put_u16(self, b: &mut [u8], at: usize, value: u16) -> Option<()> {
        let bytes = match self {
            ByteOrder::Little => value.to_le_bytes(),
            ByteOrder::Big => value.to_be_bytes(),
        };
        b.get_mut(at..at.checked_add(2)?)?.copy_from_slice(&bytes);
        Some(())
    }
}

/// One directory entry as read.
struct Entry {
    tag: u16,
    kind: u16,
    count: u32,
    /// The value itself when it fits in 4 bytes, else its offset.
    value: u32,
}

/// A directory: where it is and how many entries it has.
struct Directory {
    at: usize,
    count: usize,
}

impl Directory {
    fn read(order: ByteOrder, tiff: &[u8], at: usize) -> Option<Directory> {
        let count = usize::from(order.u16(tiff, at)?);
        // The whole directory, with its "next" link, must be inside the data.
        let end = at
            .checked_add(2)?
            .checked_add(count.checked_mul(ENTRY_LEN)?)?
            .checked_add(4)?;
        (end <= tiff.len()).then_some(Directory { at, count })
    }

    fn entry_at(&self, i: usize) -> usize {
        self.at + 2 + i * ENTRY_LEN
    }

    fn entry(&self, order: ByteOrder, tiff: &[u8], i: usize) -> Option<Entry> {
        let at = self.entry_at(i);
        Some(Entry {
            tag: order.u16(tiff, at)?,
            kind: order.u16(tiff, at + 2)?,
            count: order.u32(tiff, at + 4)?,
            value: order.u32(tiff, at + 8)?,
        })
    }

    fn entries<'a>(&'a self, order: ByteOrder, tiff: &'a [u8]) -> impl Iterator<Item = Entry> + 'a {
        (0..self.count).map_while(move |i| self.entry(order, tiff, i))
    }

    fn next(&self, order: ByteOrder, tiff: &[u8]) -> Option<usize> {
        let next = order.u32(tiff, self.entry_at(self.count))?;
        (next != 0).then_some(next as usize)
    }

    /// The bytes the directory takes, with its "next" link.
    fn span(&self) -> std::ops::Range<usize> {
        self.at..self.entry_at(self.count) + 4
    }
}

/// The top-level directories (IFD0, the thumbnail's IFD1, ...), in order.
fn top_directories(order: ByteOrder, tiff: &[u8]) -> Vec<Directory> {
    let mut found: Vec<Directory> = Vec::new();
    let mut next = order.u32(tiff, 4).map(|at| at as usize);
    while let Some(at) = next {
        if found.len() == MAX_DIRECTORIES || found.iter().any(|d| d.at == at) {
            break;
        }
        let Some(dir) = Directory::read(order, tiff, at) else {
            break;
        };
        next = dir.next(order, tiff);
        found.push(dir);
    }
    found
}

/// Whether the TIFF structure has a GPS directory with anything that places
/// the photo (coordinates, altitude, a destination, an area's name...).
pub(super) fn has_gps_position(tiff: &[u8]) -> bool {
    let Some(order) = ByteOrder::of(tiff) else {
        return false;
    };
    top_directories(order, tiff).iter().any(|dir| {
        dir.entries(order, tiff)
            .filter(|e| e.tag == GPS_IFD_POINTER)
            .filter_map(|e| Directory::read(order, tiff, e.value as usize))
            .any(|gps| gps.entries(order, tiff).any(|e| e.tag != GPS_VERSION))
    })
}

/// Bytes a value of TIFF type `kind` takes, per item (`None`: unknown type).
fn type_size(kind: u16) -> Option<usize> {
    match kind {
        1 | 2 | 6 | 7 => Some(1),
        3 | 8 => Some(2),
        4 | 9 | 11 | 13 => Some(4),
        5 | 10 | 12 => Some(8),
        _ => None,
    }
}

fn zero(tiff: &mut [u8], range: std::ops::Range<usize>) {
    let end = range.end.min(tiff.len());
    if let Some(bytes) = tiff.get_mut(range.start.min(end)..end) {
        bytes.fill(0);
    }
}

/// Zeroes a GPS directory and every value it points to.
fn zero_gps_directory(order: ByteOrder, tiff: &mut [u8], at: usize) {
    let Some(gps) = Directory::read(order, tiff, at) else {
        return;
    };
    let values: Vec<std::ops::Range<usize>> = gps
        .entries(order, tiff)
        .filter_map(|e| {
            let len = type_size(e.kind)?.checked_mul(e.count as usize)?;
            let start = e.value as usize;
            (len > 4).then(|| start..start.saturating_add(len))
        })
        .collect();
    for range in values {
        zero(tiff, range);
    }
    zero(tiff, gps.span());
}

/// Takes every GPS directory out of the TIFF structure in place (same length,
/// nothing else moved). Returns whether there was one.
pub(super) fn erase_gps(tiff: &mut [u8]) -> bool {
    let Some(order) = ByteOrder::of(tiff) else {
        return false;
    };
    let mut erased = false;
    for at in top_directories(order, tiff).iter().map(|d| d.at) {
        // Read again after each removal: the directory has one entry less.
        while let Some(dir) = Directory::read(order, tiff, at) {
            let Some((i, gps_at)) = dir
                .entries(order, tiff)
                .enumerate()
                .find(|(_, e)| e.tag == GPS_IFD_POINTER)
                .map(|(i, e)| (i, e.value as usize))
            else {
                break;
            };
            remove_entry(order, tiff, &dir, i);
            zero_gps_directory(order, tiff, gps_at);
            erased = true;
        }
    }
    erased
}

/// Removes entry `i` of `dir`: the entries after it and the "next" link move up
/// by one entry, the count drops by one, and the freed last 12 bytes are zeroed.
fn remove_entry(order: ByteOrder, tiff: &mut [u8], dir: &Directory, i: usize) {
    let span = dir.span();
    let from = dir.entry_at(i + 1);
    tiff.copy_within(from..span.end, dir.entry_at(i));
    zero(tiff, span.end - ENTRY_LEN..span.end);
    // `dir.count` fits a u16: it was read from one.
    let left = u16::try_from(dir.count - 1).unwrap_or(0);
    let _ = order.put_u16(tiff, dir.at, left);
}
