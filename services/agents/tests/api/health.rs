//! Health, readiness and the shared edge behaviour of the agents service.

posey_testkit::service_health_tests!(crate::helpers::spawn_app_with);
