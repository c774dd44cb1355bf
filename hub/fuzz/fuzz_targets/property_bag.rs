#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    edgemodule_hub::fuzzing::property_bag(data);
});
