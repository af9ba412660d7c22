/*
 * srtp.h - libsrtp3 API subset used by mediasoup, on top of libsrtp2 (2.3+).
 *
 * Types/enums/constants shared by both APIs come from <srtp2/srtp.h>. The
 * libsrtp2 functions whose names libsrtp3 reuses with a different signature
 * are hidden under other names, and the libsrtp3 functions are macro-mapped
 * onto ms_srtp3_* symbols implemented in srtp3_compat.c.
 */
#ifndef MS_SRTP3_COMPAT_SRTP_H
#define MS_SRTP3_COMPAT_SRTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define srtp_policy_t ms_srtp2_policy_t
#define srtp_create ms_srtp2_create_hidden
#define srtp_protect ms_srtp2_protect_hidden
#define srtp_unprotect ms_srtp2_unprotect_hidden
#define srtp_protect_rtcp ms_srtp2_protect_rtcp_hidden
#define srtp_unprotect_rtcp ms_srtp2_unprotect_rtcp_hidden
#include <srtp2/srtp.h>
#undef srtp_policy_t
#undef srtp_create
#undef srtp_protect
#undef srtp_unprotect
#undef srtp_protect_rtcp
#undef srtp_unprotect_rtcp

#ifdef __cplusplus
extern "C" {
#endif

/* libsrtp3 error codes that libsrtp2 lacks (same numeric values as v3). */
#define srtp_err_status_buffer_small ((srtp_err_status_t)28)
#define srtp_err_status_cryptex_err ((srtp_err_status_t)29)

/* libsrtp3: the policy is an opaque, heap-allocated object. */
typedef struct ms_srtp3_policy *srtp_policy_t;

#define srtp_policy_create ms_srtp3_policy_create
#define srtp_policy_destroy ms_srtp3_policy_destroy
#define srtp_policy_set_ssrc ms_srtp3_policy_set_ssrc
#define srtp_policy_set_profile ms_srtp3_policy_set_profile
#define srtp_policy_add_key ms_srtp3_policy_add_key
#define srtp_policy_set_allow_repeat_tx ms_srtp3_policy_set_allow_repeat_tx
#define srtp_policy_set_window_size ms_srtp3_policy_set_window_size
#define srtp_create ms_srtp3_create
#define srtp_protect ms_srtp3_protect
#define srtp_unprotect ms_srtp3_unprotect
#define srtp_protect_rtcp ms_srtp3_protect_rtcp
#define srtp_unprotect_rtcp ms_srtp3_unprotect_rtcp
#define srtp_stream_remove ms_srtp3_stream_remove

srtp_err_status_t srtp_policy_create(srtp_policy_t *policy);
void srtp_policy_destroy(srtp_policy_t policy);
srtp_err_status_t srtp_policy_set_ssrc(srtp_policy_t policy, srtp_ssrc_t ssrc);
srtp_err_status_t srtp_policy_set_profile(srtp_policy_t policy, srtp_profile_t profile);
srtp_err_status_t srtp_policy_add_key(srtp_policy_t policy,
                                      const uint8_t *key, size_t key_len,
                                      const uint8_t *salt, size_t salt_len,
                                      const uint8_t *mki, size_t mki_len);
srtp_err_status_t srtp_policy_set_allow_repeat_tx(srtp_policy_t policy, bool allow);
srtp_err_status_t srtp_policy_set_window_size(srtp_policy_t policy, size_t window_size);
srtp_err_status_t srtp_create(srtp_t *session, const srtp_policy_t policy);
srtp_err_status_t srtp_protect(srtp_t ctx, const uint8_t *rtp, size_t rtp_len,
                               uint8_t *srtp, size_t *srtp_len, size_t mki_index);
srtp_err_status_t srtp_unprotect(srtp_t ctx, const uint8_t *srtp, size_t srtp_len,
                                 uint8_t *rtp, size_t *rtp_len);
srtp_err_status_t srtp_protect_rtcp(srtp_t ctx, const uint8_t *rtcp, size_t rtcp_len,
                                    uint8_t *srtcp, size_t *srtcp_len, size_t mki_index);
srtp_err_status_t srtp_unprotect_rtcp(srtp_t ctx, const uint8_t *srtcp, size_t srtcp_len,
                                      uint8_t *rtcp, size_t *rtcp_len);
srtp_err_status_t srtp_stream_remove(srtp_t session, uint32_t ssrc);

#ifdef __cplusplus
}
#endif

#endif /* MS_SRTP3_COMPAT_SRTP_H */
