package runner

import (
	"fmt"
	"net/url"
	"sort"
	"strings"
	"sync"
)

// Credentials confinement: a document cannot make the engine send
// credentials to a host it was not told about. Credentials are the
// Authorization, Proxy-Authorization, Cookie, Cookie2 and X-API-Key headers
// and the apiKey parameters (header or query) of the sources'
// securitySchemes. They go only to the server host (host and port) of the
// step's source — its override when one is given; for a step without a
// source, to the server host of any source. An x-operation URL to another
// host (one allowed with --allow-host, say) is sent without them, and the
// request's Notes say so; HTTPSender does the same on redirects.

// credentialNames returns the apiKey header and query parameter names of
// every source's securitySchemes, computed once.
func (r *Runner) credentialNames() (headers, query []string) {
	r.credOnce.Do(func() {
		seenH, seenQ := map[string]bool{}, map[string]bool{}
		for _, src := range r.allSources() {
			if src.OpenAPI == nil {
				continue
			}
			for _, sc := range src.OpenAPI.SecuritySchemes {
				if sc == nil || !strings.EqualFold(sc.Type, "apiKey") || sc.Name == "" {
					continue
				}
				switch strings.ToLower(sc.In) {
				case "header":
					if k := strings.ToLower(sc.Name); !seenH[k] {
						seenH[k] = true
						r.credHeaders = append(r.credHeaders, sc.Name)
					}
				case "query":
					if !seenQ[sc.Name] {
						seenQ[sc.Name] = true
						r.credQuery = append(r.credQuery, sc.Name)
					}
				}
			}
		}
		sort.Strings(r.credHeaders)
		sort.Strings(r.credQuery)
	})
	return r.credHeaders, r.credQuery
}

// credentialHosts returns the server URLs whose hosts may receive st's
// credentials.
func (r *Runner) credentialHosts(st *cstep) []string {
	if st.source != "" {
		if u, err := r.serverURL(st.source); err == nil {
			return []string{u}
		}
		return nil
	}
	out := make([]string, 0, len(r.servers))
	for _, u := range r.servers {
		out = append(out, u)
	}
	return out
}

// confine marks req's credential headers for the sender and, when req
// goes to a host that may not receive st's credentials, removes them and
// notes it.
func (r *Runner) confine(st *cstep, req *Request) {
	headers, query := r.credentialNames()
	req.Credentials = headers
	if st.kind == stepOperation {
		// Built from a server URL the source describes (its own, or
		// its operation's) or its override; path parameters are
		// percent-encoded, so the host cannot differ.
		return
	}
	for _, u := range r.credentialHosts(st) {
		if SameHost(u, req.URL) {
			return
		}
	}
	dropped := stripCredentials(req.Header, headers)
	if len(query) > 0 {
		if u, err := url.Parse(req.URL); err == nil {
			q := u.Query()
			removed := false
			for _, name := range query {
				if q.Has(name) {
					q.Del(name)
					removed = true
					dropped = append(dropped, "query parameter "+name)
				}
			}
			if removed {
				u.RawQuery = q.Encode()
				req.URL = u.String()
			}
		}
	}
	if len(dropped) == 0 {
		return
	}
	host := req.URL
	if u, err := url.Parse(req.URL); err == nil {
		host = u.Host
	}
	note := fmt.Sprintf("dropped %s: %s is not the server of the step's source, and credentials go only to that server", strings.Join(dropped, ", "), host)
	req.Notes = append(req.Notes, note)
	if r.opts.Logger != nil {
		r.opts.Logger.Warn("credentials not sent", "step", st.id, "request", req.Method+" "+req.URL, "detail", note)
	}
}

// credState is the Runner's lazily computed credential names.
type credState struct {
	credOnce    sync.Once
	credHeaders []string
	credQuery   []string
}
