/* The C side of the libfido2 binding: the custom I/O trampolines into Go,
 * the secret buffers PINs travel in, and test-only verifiers. */
#define _DEFAULT_SOURCE
#include <stdlib.h>
#include <string.h>

#include <fido.h>
#include <fido/es256.h>

#include "hook.h"
#include "_cgo_export.h"

static void *
pd_sim_open(const char *path)
{
	uintptr_t h = pdSimOpen((char *)path);
	return h == 0 ? NULL : (void *)h;
}

static void
pd_sim_close(void *h)
{
	pdSimClose((uintptr_t)h);
}

static int
pd_sim_read(void *h, unsigned char *buf, size_t len, int ms)
{
	return pdSimRead((uintptr_t)h, buf, len, ms);
}

static int
pd_sim_write(void *h, const unsigned char *buf, size_t len)
{
	return pdSimWrite((uintptr_t)h, (unsigned char *)buf, len);
}

static const fido_dev_io_t pd_sim_io = {
	pd_sim_open, pd_sim_close, pd_sim_read, pd_sim_write,
};

int
pd_set_sim_io(fido_dev_t *dev)
{
	return fido_dev_set_io_functions(dev, &pd_sim_io);
}

uintptr_t
pd_io_handle(const fido_dev_t *dev)
{
	return (uintptr_t)fido_dev_io_handle(dev);
}

char *
pd_secret_new(const unsigned char *p, size_t n)
{
	char *s = malloc(n + 1);
	if (s == NULL)
		return NULL;
	if (n > 0)
		memcpy(s, p, n);
	s[n] = '\0';
	return s;
}

void
pd_secret_free(char *s, size_t n)
{
	if (s == NULL)
		return;
	explicit_bzero(s, n + 1);
	free(s);
}

int
pd_verify_cred(const char *rp_id, const unsigned char *cdh, size_t cdh_len,
    int alg, const char *fmt, const unsigned char *authdata, size_t authdata_len,
    const unsigned char *sig, size_t sig_len, const unsigned char *x5c,
    size_t x5c_len, int rk, int uv, int prot, unsigned char *pk, size_t *pk_len)
{
	fido_cred_t *cred;
	int r;

	if ((cred = fido_cred_new()) == NULL)
		return FIDO_ERR_INTERNAL;
	if ((r = fido_cred_set_type(cred, alg)) != FIDO_OK ||
	    (r = fido_cred_set_clientdata_hash(cred, cdh, cdh_len)) != FIDO_OK ||
	    (r = fido_cred_set_rp(cred, rp_id, NULL)) != FIDO_OK ||
	    (r = fido_cred_set_authdata_raw(cred, authdata, authdata_len)) != FIDO_OK ||
	    (r = fido_cred_set_rk(cred, rk ? FIDO_OPT_TRUE : FIDO_OPT_OMIT)) != FIDO_OK ||
	    (r = fido_cred_set_uv(cred, uv ? FIDO_OPT_TRUE : FIDO_OPT_OMIT)) != FIDO_OK ||
	    (r = fido_cred_set_fmt(cred, fmt)) != FIDO_OK)
		goto out;
	if (prot != 0 && (r = fido_cred_set_prot(cred, prot)) != FIDO_OK)
		goto out;
	if (sig_len > 0 && (r = fido_cred_set_sig(cred, sig, sig_len)) != FIDO_OK)
		goto out;
	if (x5c_len > 0) {
		if ((r = fido_cred_set_x509(cred, x5c, x5c_len)) != FIDO_OK)
			goto out;
		r = fido_cred_verify(cred);
	} else {
		r = fido_cred_verify_self(cred);
	}
	if (r == FIDO_OK) {
		if (fido_cred_pubkey_len(cred) > *pk_len) {
			r = FIDO_ERR_INTERNAL;
			goto out;
		}
		*pk_len = fido_cred_pubkey_len(cred);
		memcpy(pk, fido_cred_pubkey_ptr(cred), *pk_len);
	}
out:
	fido_cred_free(&cred);
	return r;
}

int
pd_verify_assert(const char *rp_id, const unsigned char *cdh, size_t cdh_len,
    const unsigned char *authdata, size_t authdata_len,
    const unsigned char *sig, size_t sig_len, int uv,
    const unsigned char *pk, size_t pk_len)
{
	fido_assert_t *a;
	es256_pk_t *key;
	int r;

	if ((a = fido_assert_new()) == NULL)
		return FIDO_ERR_INTERNAL;
	if ((key = es256_pk_new()) == NULL) {
		fido_assert_free(&a);
		return FIDO_ERR_INTERNAL;
	}
	if ((r = es256_pk_from_ptr(key, pk, pk_len)) != FIDO_OK ||
	    (r = fido_assert_set_clientdata_hash(a, cdh, cdh_len)) != FIDO_OK ||
	    (r = fido_assert_set_rp(a, rp_id)) != FIDO_OK ||
	    (r = fido_assert_set_count(a, 1)) != FIDO_OK ||
	    (r = fido_assert_set_authdata_raw(a, 0, authdata, authdata_len)) != FIDO_OK ||
	    (r = fido_assert_set_uv(a, uv ? FIDO_OPT_TRUE : FIDO_OPT_OMIT)) != FIDO_OK ||
	    (r = fido_assert_set_sig(a, 0, sig, sig_len)) != FIDO_OK)
		goto out;
	r = fido_assert_verify(a, 0, COSE_ES256, key);
out:
	es256_pk_free(&key);
	fido_assert_free(&a);
	return r;
}
