//! A login for a name no account has checks its password against a dummy
//! hash, so that it costs what a wrong password costs. The work shows in
//! memory, without timing anything: argon2 allocates its memory cost for
//! every check, so a dummy check that did no work would allocate nothing.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

use auth_domain::{Argon2Hasher, Password, PasswordHasher};

struct CountingAllocator;

static ALLOCATED: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for CountingAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATED.fetch_add(layout.size(), Ordering::SeqCst);
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: CountingAllocator = CountingAllocator;

fn allocated_by(work: impl FnOnce()) -> usize {
    let before = ALLOCATED.load(Ordering::SeqCst);
    work();
    ALLOCATED.load(Ordering::SeqCst) - before
}

#[test]
fn a_dummy_check_does_the_work_of_a_real_one() {
    let hasher = Argon2Hasher::cheap_for_tests();
    let stored = hasher
        .hash(&Password::parse("Zq7-xk2!stored").unwrap())
        .unwrap();

    let real = allocated_by(|| {
        assert_eq!(hasher.verify("Zq7-xk2!wrong", &stored), Ok(false));
    });
    let dummy = allocated_by(|| hasher.verify_dummy("Zq7-xk2!wrong"));

    // Argon2's smallest memory cost is 8 KiB.
    assert!(real >= 8 * 1024, "a real check allocated {real} bytes");
    assert!(
        dummy * 10 >= real * 9,
        "a dummy check allocated {dummy} bytes, a real one {real}"
    );
}
