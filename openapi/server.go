package openapi

import (
	"fmt"
	"net/url"
	"slices"
	"strings"
)

// URLWith returns the server URL with variables substituted from values,
// falling back to each variable's default. An unknown variable in the
// template (neither declared nor given a value), an unterminated `{`, and a
// value outside the variable's enum are errors.
func (s Server) URLWith(values map[string]string) (string, error) {
	if !strings.Contains(s.URL, "{") {
		return s.URL, nil
	}
	var b strings.Builder
	rest := s.URL
	for {
		i := strings.IndexByte(rest, '{')
		if i < 0 {
			b.WriteString(rest)
			return b.String(), nil
		}
		b.WriteString(rest[:i])
		j := strings.IndexByte(rest[i:], '}')
		if j < 0 {
			return "", fmt.Errorf("server URL %q has an unterminated `{`; close the variable name with `}`", s.URL)
		}
		name := rest[i+1 : i+j]
		rest = rest[i+j+1:]
		v, declared := s.Variables[name]
		val, given := values[name]
		switch {
		case given:
			if declared && len(v.Enum) > 0 && !slices.Contains(v.Enum, val) {
				return "", fmt.Errorf("server URL %q: value %q for variable %q is not one of its enum values %q", s.URL, val, name, v.Enum)
			}
		case declared:
			val = v.Default
		default:
			return "", fmt.Errorf("server URL %q uses variable {%s}, which the server does not declare; declare it under the server's variables or give it a value", s.URL, name)
		}
		b.WriteString(val)
	}
}

// ResolveServerURL resolves a relative server URL (such as "/bnpl/v1" or
// "v1") against the http(s) location of the description that declares it,
// as OpenAPI specifies. It returns serverURL unchanged when it is already
// absolute or when docLocation is not an http(s) URL (a file has no host to
// resolve against).
func ResolveServerURL(docLocation, serverURL string) string {
	if !strings.HasPrefix(docLocation, "http://") && !strings.HasPrefix(docLocation, "https://") {
		return serverURL
	}
	if i := strings.Index(serverURL, "://"); i > 0 && !strings.ContainsAny(serverURL[:i], "/?#") {
		return serverURL // absolute, possibly with a {scheme} variable
	}
	base, err := url.Parse(docLocation)
	if err != nil {
		return serverURL
	}
	// Variables ({version}) are not valid URL characters; keep them out of
	// the parser's way.
	ref, err := url.Parse(strings.NewReplacer("{", "%7B", "}", "%7D").Replace(serverURL))
	if err != nil {
		return serverURL
	}
	out := base.ResolveReference(ref).String()
	return strings.NewReplacer("%7B", "{", "%7D", "}").Replace(out)
}
