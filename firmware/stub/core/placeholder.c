// Placeholder so the target builds before the stub core lands.
int mlprov_stub_host_placeholder(void) { return 0; }
