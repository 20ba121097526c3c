package flowgd

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"time"
)

// Token prefixes. Real FlowG tokens travel as "Bearer pat_…" / "Bearer jwt_…";
// its documentation's curl examples write "pat:" / "jwt:", so both are accepted.
const (
	prefixPAT = "pat"
	prefixJWT = "jwt"
)

var b64 = base64.RawURLEncoding

// jwtClaims is the payload of the tokens issued by the login endpoint.
type jwtClaims struct {
	Sub string `json:"sub"`
	Iat int64  `json:"iat"`
	Exp int64  `json:"exp"`
}

// issueJWT signs an HS256 JWT for user, valid for ttl.
func issueJWT(secret []byte, user string, now time.Time, ttl time.Duration) string {
	header := b64.EncodeToString([]byte(`{"alg":"HS256","typ":"JWT"}`))
	claims, _ := json.Marshal(jwtClaims{Sub: user, Iat: now.Unix(), Exp: now.Add(ttl).Unix()}) // plain struct: cannot fail
	signing := header + "." + b64.EncodeToString(claims)
	return signing + "." + b64.EncodeToString(sign(secret, signing))
}

func sign(secret []byte, s string) []byte {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(s))
	return m.Sum(nil)
}

// verifyJWT checks signature, algorithm and expiry and returns the subject.
func verifyJWT(secret []byte, tok string, now time.Time) (string, error) {
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		return "", errors.New("malformed JWT: want three dot-separated parts")
	}
	sig, err := b64.DecodeString(parts[2])
	if err != nil || !hmac.Equal(sig, sign(secret, parts[0]+"."+parts[1])) {
		return "", errors.New("JWT signature does not verify: log in again")
	}
	var hdr struct {
		Alg string `json:"alg"`
	}
	if raw, err := b64.DecodeString(parts[0]); err != nil || json.Unmarshal(raw, &hdr) != nil || hdr.Alg != "HS256" {
		return "", errors.New("JWT header is not HS256")
	}
	var c jwtClaims
	if raw, err := b64.DecodeString(parts[1]); err != nil || json.Unmarshal(raw, &c) != nil {
		return "", errors.New("malformed JWT claims")
	}
	if now.Unix() >= c.Exp {
		return "", errors.New("JWT expired: log in again")
	}
	return c.Sub, nil
}

// parseBearer splits "Bearer pat_X", "Bearer pat:X", "Bearer jwt_X" or
// "Bearer jwt:X" into its kind and secret. "Bearer jwt:jwt_X" (the docs'
// jwt:${TOKEN} with a token that already carries its prefix) is accepted too.
func parseBearer(h string) (kind, secret string, ok bool) {
	const scheme = "bearer "
	if len(h) < len(scheme) || !strings.EqualFold(h[:len(scheme)], scheme) {
		return "", "", false
	}
	tok := strings.TrimSpace(h[len(scheme):])
	for _, k := range []string{prefixPAT, prefixJWT} {
		for _, sep := range []string{"_", ":"} {
			if rest, found := strings.CutPrefix(tok, k+sep); found {
				rest = strings.TrimPrefix(rest, k+"_")
				if rest == "" {
					return "", "", false
				}
				return k, rest, true
			}
		}
	}
	return "", "", false
}

// constantTimeEqual compares secrets without leaking their common prefix
// length through timing.
func constantTimeEqual(a, b string) bool {
	return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}
