#pragma once
int mlprov_stub_host_placeholder(void);
