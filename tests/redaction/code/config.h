#ifndef CONFIG_H
#define CONFIG_H

#define API_HOST "payments.internal.example.com"
#define API_TIMEOUT_MS 5000

static const char db_password[32] = "Cfg#88zLq2Wm";
static const char *square_oauth_secret = "sq0csp--tTASsRdWTR8CqaLW1xjNmDiqjy-xwR9d9IOvGLi-Wx";

#endif
