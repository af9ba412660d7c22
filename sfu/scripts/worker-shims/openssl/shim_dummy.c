int ms_shim_openssl_dummy;
