int ms_shim_absl_dummy;
