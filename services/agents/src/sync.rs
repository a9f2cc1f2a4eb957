//! A mutex's guard whatever a panicking holder left: the data the service guards this way
//! (caches, counters) stays usable after a panic elsewhere.

use std::sync::{Mutex, MutexGuard, PoisonError};

pub fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}
