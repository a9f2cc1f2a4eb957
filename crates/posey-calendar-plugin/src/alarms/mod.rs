//! Alarms rung as notifications. Whenever an object is written, the times its alarms ring in
//! the days ahead are written out beside it (`schedule`, in the write's transaction), and a
//! worker tops them up as time passes and hands those that fall due to cron through the host's
//! notifier (`worker`): each ring is one notification, under a key cron keeps it by, so it is
//! handed over until cron has it (at least once) and cron never delivers it twice.

pub mod db;
pub mod schedule;
pub mod worker;
