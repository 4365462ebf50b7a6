//! `check --external`: external links asked about concurrently and politely.
