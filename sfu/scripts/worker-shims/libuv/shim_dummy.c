int ms_shim_libuv_dummy;
