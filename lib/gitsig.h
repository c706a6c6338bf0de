/* gitsig: git's SSH signatures of commits over ed25519 keys: a `gpgsig` header holding
 * an armored SSHSIG (OpenSSH's PROTOCOL.sshsig, namespace "git", hash sha512) of the
 * commit's bytes without that header, so that `git verify-commit` with
 * gpg.format=ssh and ssh-keygen checks it. */
#ifndef RENTAL_GITSIG_H
#define RENTAL_GITSIG_H
#include <stddef.h>
#include "sign.h"

/* The principal of the dispatcher's key in git's allowed signers file (its commits'
 * committer e-mail). */
#define GITSIG_PRINCIPAL "dispatcher@rental"

/* The key as OpenSSH writes a public key: "ssh-ed25519 BASE64" (malloc'd). */
char *gitsig_ssh_pubkey(const unsigned char pk[crypto_sign_PUBLICKEYBYTES]);
/* The line for git's gpg.ssh.allowedSignersFile naming pk (malloc'd, ends in "\n"). */
char *gitsig_allowed_signer(const unsigned char pk[crypto_sign_PUBLICKEYBYTES]);
/* Reads an ed25519 public key written as the base64 of its 32 bytes (as `carctl key
 * list` shows keys), as OpenSSH's "ssh-ed25519 BASE64 [comment]" or its BASE64
 * alone, or as a line of an allowed signers file: 0, or -1 if it is none of those. */
int gitsig_parse_pubkey(unsigned char pk[crypto_sign_PUBLICKEYBYTES], const char *text);
/* The commit object's bytes with a gpgsig header that signs them by k, placed after
 * its other headers as git places it (malloc'd, *outlen its length). */
char *gitsig_sign_commit(const struct seckey *k, const char *commit, size_t len, size_t *outlen);
/* Checks commit's gpgsig: 0 if it is a good signature by pk; 1 if the commit carries
 * none; -1 if it is damaged, by another key or does not match (e says which). */
int gitsig_verify_commit(const char *commit, size_t len,
			 const unsigned char pk[crypto_sign_PUBLICKEYBYTES], struct rerr *e);
/* Whether the commit id of r is signed by pk: 0; 1 if not (unsigned, by another key or
 * altered); -1 if it cannot be read (e). *c gets its headers. */
struct gitrepo;
struct gid;
struct git_commit_info;
int gitsig_commit_by(struct gitrepo *r, const struct gid *id,
		     const unsigned char pk[crypto_sign_PUBLICKEYBYTES], struct git_commit_info *c,
		     struct rerr *e);
#endif
