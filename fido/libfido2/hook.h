/* C helpers of the libfido2 binding (hook.c). Declarations only: the Go
 * file that includes this also has //export functions. */
#include <stddef.h>
#include <stdint.h>
#include <fido.h>

/* pd_set_sim_io installs the I/O hook whose open/close/read/write call
 * pdSimOpen/pdSimClose/pdSimRead/pdSimWrite in Go. */
int pd_set_sim_io(fido_dev_t *dev);
/* pd_io_handle returns the hook's handle of an opened device (0 if none). */
uintptr_t pd_io_handle(const fido_dev_t *dev);
/* pd_secret_new copies n bytes into new NUL-terminated C memory. */
char *pd_secret_new(const unsigned char *p, size_t n);
/* pd_secret_free zeroes n+1 bytes at s and frees them; NULL is fine. */
void pd_secret_free(char *s, size_t n);
/* pd_verify_cred checks a credential with fido_cred_verify or, for self
 * attestation, fido_cred_verify_self (tests only). */
int pd_verify_cred(const char *rp_id, const unsigned char *cdh, size_t cdh_len,
    int alg, const char *fmt, const unsigned char *authdata, size_t authdata_len,
    const unsigned char *sig, size_t sig_len, const unsigned char *x5c,
    size_t x5c_len, int rk, int uv, int prot, unsigned char *pk, size_t *pk_len);
/* pd_verify_assert checks one assertion with fido_assert_verify against an
 * ES256 public key as fido_cred_pubkey_ptr gives it (tests only). */
int pd_verify_assert(const char *rp_id, const unsigned char *cdh,
    size_t cdh_len, const unsigned char *authdata, size_t authdata_len,
    const unsigned char *sig, size_t sig_len, int uv,
    const unsigned char *pk, size_t pk_len);
