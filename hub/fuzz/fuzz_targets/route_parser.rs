#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    edgemodule_hub::fuzzing::route_parser(data);
});
