/*
 * srtp3_compat.c - libsrtp3 API subset (as used by mediasoup) implemented on
 * top of libsrtp2. Deliberately does NOT include the compat include/srtp.h:
 * it sees the real libsrtp2 declarations and defines the ms_srtp3_* symbols
 * that the compat header maps the libsrtp3 names onto.
 */
#include <srtp2/srtp.h>
#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define MS_ERR_BUFFER_SMALL ((srtp_err_status_t)28)

struct ms_srtp3_policy {
    srtp_policy_t p; /* libsrtp2 policy (key points into keybuf) */
    unsigned char keybuf[SRTP_MAX_KEY_LEN];
    size_t keybuf_len;
    bool has_profile;
    bool has_key;
};
typedef struct ms_srtp3_policy *ms_srtp3_policy_t;

srtp_err_status_t ms_srtp3_policy_create(ms_srtp3_policy_t *policy)
{
    struct ms_srtp3_policy *p;
    if (policy == NULL)
        return srtp_err_status_bad_param;
    p = (struct ms_srtp3_policy *)calloc(1, sizeof(*p));
    if (p == NULL)
        return srtp_err_status_alloc_fail;
    *policy = p;
    return srtp_err_status_ok;
}

void ms_srtp3_policy_destroy(ms_srtp3_policy_t policy)
{
    if (policy == NULL)
        return;
    memset(policy->keybuf, 0, sizeof(policy->keybuf));
    free(policy);
}

srtp_err_status_t ms_srtp3_policy_set_ssrc(ms_srtp3_policy_t policy, srtp_ssrc_t ssrc)
{
    if (policy == NULL)
        return srtp_err_status_bad_param;
    policy->p.ssrc = ssrc;
    return srtp_err_status_ok;
}

srtp_err_status_t ms_srtp3_policy_set_profile(ms_srtp3_policy_t policy, srtp_profile_t profile)
{
    srtp_err_status_t err;
    if (policy == NULL)
        return srtp_err_status_bad_param;
    err = srtp_crypto_policy_set_from_profile_for_rtp(&policy->p.rtp, profile);
    if (err != srtp_err_status_ok)
        return err;
    err = srtp_crypto_policy_set_from_profile_for_rtcp(&policy->p.rtcp, profile);
    if (err != srtp_err_status_ok)
        return err;
    policy->has_profile = true;
    return srtp_err_status_ok;
}

/* Single master key, no MKI (all mediasoup needs). libsrtp2 wants key||salt. */
srtp_err_status_t ms_srtp3_policy_add_key(ms_srtp3_policy_t policy,
                                          const uint8_t *key, size_t key_len,
                                          const uint8_t *salt, size_t salt_len,
                                          const uint8_t *mki, size_t mki_len)
{
    (void)mki;
    if (policy == NULL || key == NULL || (salt_len > 0 && salt == NULL))
        return srtp_err_status_bad_param;
    if (mki_len != 0 || policy->has_key)
        return srtp_err_status_bad_param; /* MKI / multiple keys unsupported */
    if (key_len + salt_len > sizeof(policy->keybuf))
        return srtp_err_status_bad_param;
    memcpy(policy->keybuf, key, key_len);
    if (salt_len > 0)
        memcpy(policy->keybuf + key_len, salt, salt_len);
    policy->keybuf_len = key_len + salt_len;
    policy->p.key = policy->keybuf;
    policy->has_key = true;
    return srtp_err_status_ok;
}

srtp_err_status_t ms_srtp3_policy_set_allow_repeat_tx(ms_srtp3_policy_t policy, bool allow)
{
    if (policy == NULL)
        return srtp_err_status_bad_param;
    policy->p.allow_repeat_tx = allow ? 1 : 0;
    return srtp_err_status_ok;
}

srtp_err_status_t ms_srtp3_policy_set_window_size(ms_srtp3_policy_t policy, size_t window_size)
{
    if (policy == NULL)
        return srtp_err_status_bad_param;
    if (window_size != 0 && (window_size < 64 || window_size >= 0x8000))
        return srtp_err_status_bad_param;
    policy->p.window_size = (unsigned long)window_size;
    return srtp_err_status_ok;
}

srtp_err_status_t ms_srtp3_create(srtp_t *session, const ms_srtp3_policy_t policy)
{
    if (session == NULL || policy == NULL || !policy->has_profile || !policy->has_key)
        return srtp_err_status_bad_param;
    /* libsrtp2 reads cipher_key_len bytes (master key + salt) from p.key. */
    if (policy->keybuf_len != (size_t)policy->p.rtp.cipher_key_len ||
        policy->keybuf_len != (size_t)policy->p.rtcp.cipher_key_len)
        return srtp_err_status_bad_param;
    policy->p.next = NULL;
    return srtp_create(session, &policy->p);
}

/* libsrtp2 works in place and may append up to SRTP_MAX_TRAILER_LEN (+4 for
 * the SRTCP index) bytes; libsrtp3 takes separate in/out buffers with an
 * explicit output capacity. */
static srtp_err_status_t ms_protect(bool rtcp, srtp_t ctx,
                                    const uint8_t *in, size_t in_len,
                                    uint8_t *out, size_t *out_len)
{
    int len;
    srtp_err_status_t err;
    size_t need;
    if (ctx == NULL || in == NULL || out == NULL || out_len == NULL)
        return srtp_err_status_bad_param;
    if (in_len > (size_t)INT_MAX - SRTP_MAX_TRAILER_LEN - 4)
        return srtp_err_status_bad_param;
    need = in_len + SRTP_MAX_TRAILER_LEN + (rtcp ? 4 : 0);
    if (*out_len < need)
        return MS_ERR_BUFFER_SMALL;
    if (out != in)
        memmove(out, in, in_len);
    len = (int)in_len;
    err = rtcp ? srtp_protect_rtcp(ctx, out, &len) : srtp_protect(ctx, out, &len);
    if (err == srtp_err_status_ok)
        *out_len = (size_t)len;
    return err;
}

static srtp_err_status_t ms_unprotect(bool rtcp, srtp_t ctx,
                                      const uint8_t *in, size_t in_len,
                                      uint8_t *out, size_t *out_len)
{
    int len;
    srtp_err_status_t err;
    if (ctx == NULL || in == NULL || out == NULL || out_len == NULL)
        return srtp_err_status_bad_param;
    if (in_len > (size_t)INT_MAX)
        return srtp_err_status_bad_param;
    if (*out_len < in_len)
        return MS_ERR_BUFFER_SMALL;
    if (out != in)
        memmove(out, in, in_len);
    len = (int)in_len;
    err = rtcp ? srtp_unprotect_rtcp(ctx, out, &len) : srtp_unprotect(ctx, out, &len);
    if (err == srtp_err_status_ok)
        *out_len = (size_t)len;
    return err;
}

/* mki_index is ignored: policies created through this layer never use MKI. */
srtp_err_status_t ms_srtp3_protect(srtp_t ctx, const uint8_t *rtp, size_t rtp_len,
                                   uint8_t *srtp, size_t *srtp_len, size_t mki_index)
{
    (void)mki_index;
    return ms_protect(false, ctx, rtp, rtp_len, srtp, srtp_len);
}

srtp_err_status_t ms_srtp3_unprotect(srtp_t ctx, const uint8_t *srtp, size_t srtp_len,
                                     uint8_t *rtp, size_t *rtp_len)
{
    return ms_unprotect(false, ctx, srtp, srtp_len, rtp, rtp_len);
}

srtp_err_status_t ms_srtp3_protect_rtcp(srtp_t ctx, const uint8_t *rtcp, size_t rtcp_len,
                                        uint8_t *srtcp, size_t *srtcp_len, size_t mki_index)
{
    (void)mki_index;
    return ms_protect(true, ctx, rtcp, rtcp_len, srtcp, srtcp_len);
}

srtp_err_status_t ms_srtp3_unprotect_rtcp(srtp_t ctx, const uint8_t *srtcp, size_t srtcp_len,
                                          uint8_t *rtcp, size_t *rtcp_len)
{
    return ms_unprotect(true, ctx, srtcp, srtcp_len, rtcp, rtcp_len);
}

/* Same semantics as libsrtp2's srtp_remove_stream (SSRC in network order). */
srtp_err_status_t ms_srtp3_stream_remove(srtp_t session, uint32_t ssrc)
{
    return srtp_remove_stream(session, ssrc);
}
