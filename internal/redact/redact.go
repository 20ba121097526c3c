// Package redact removes values that may be secret from text meant for
// logs and traces.
package redact

import "net/url"

// Mask replaces a redacted value.
const Mask = "***"

// URL returns raw with its password and every query value replaced by
// Mask, keeping the scheme, host, path and query parameter names, which is
// what a reader needs to recognise the request:
//
//	https://u:p@api.example.com/v1/items?api_key=s3cr3t&page=2
//	→ https://u:***@api.example.com/v1/items?api_key=***&page=***
//
// Text that does not parse as a URL is replaced by Mask altogether.
func URL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return Mask
	}
	user := ""
	if u.User != nil {
		user = url.User(u.User.Username()).String()
		if _, ok := u.User.Password(); ok {
			user += ":" + Mask
		}
		user += "@"
		u.User = nil
	}
	if u.RawQuery != "" {
		q := u.Query()
		for k, vs := range q {
			for i := range vs {
				vs[i] = Mask
			}
			q[k] = vs
		}
		// Encode would escape the mask's asterisks; they are safe in a query.
		u.RawQuery = unescapeMask(q.Encode())
	}
	u.Fragment, u.RawFragment = "", ""
	s := u.String()
	if user != "" && u.Scheme != "" && u.Host != "" {
		prefix := u.Scheme + "://"
		s = prefix + user + s[len(prefix):]
	}
	return s
}

func unescapeMask(s string) string {
	const esc = "%2A%2A%2A"
	out := make([]byte, 0, len(s))
	for i := 0; i < len(s); {
		if len(s)-i >= len(esc) && s[i:i+len(esc)] == esc {
			out = append(out, Mask...)
			i += len(esc)
			continue
		}
		out = append(out, s[i])
		i++
	}
	return string(out)
}
