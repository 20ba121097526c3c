// Package runner executes Arazzo workflows: it sends each step's request,
// evaluates success criteria, follows success and failure actions (end,
// goto, retry), passes outputs between steps and workflows, and reports
// what happened.
//
// Everything a run does that is not a pure function of the document and
// the responses goes through an injectable interface: sending requests
// (Sender), time and waiting (Clock), and reporting (Observer). Tests use
// that to run without sleeping; durable execution replays a journal
// through it; a distributed host can run each send as an activity.
package runner

import (
	"context"
	"fmt"
	"log/slog"
	"net/url"
	"sort"
	"strings"
	"time"

	"github.com/go-arazzo/arazzo/arazzo"
	"github.com/go-arazzo/arazzo/openapi"
)

// Options configures a Runner. Zero values take the defaults.
type Options struct {
	// Sender sends step requests; nil means an HTTPSender built from HTTP.
	Sender Sender
	// HTTP configures the default HTTPSender.
	HTTP HTTPOptions
	// Clock supplies time and waiting; nil means SystemClock.
	Clock Clock
	// Observer receives events; nil means none.
	Observer Observer
	// Tracer opens spans around workflows and attempts; nil means none.
	Tracer Tracer
	// Logger receives debug logs; nil means none.
	Logger *slog.Logger
	// Servers overrides the server URL of source descriptions, by name.
	// When any override is given, every source a run uses must have one
	// (or AllowDefaultServers must be set): a run never silently falls back
	// to a description's own, possibly production, server.
	Servers map[string]string
	// AllowDefaultServers lets sources without an override use their
	// description's first server even when other sources are overridden.
	AllowDefaultServers bool
	// AllowHosts lists extra hosts that x-operation URLs may address.
	AllowHosts []string
	// MaxSteps bounds step executions per run (default 10,000).
	MaxSteps int
	// MaxDepth bounds workflow nesting (default 32).
	MaxDepth int
	// MaxRetryAfter caps a response's Retry-After header when it overrides
	// a retry action's retryAfter (default 5 minutes).
	MaxRetryAfter time.Duration
	// Strict rejects the lenient expression forms of published documents.
	Strict bool
}

// Defaults for Options.
const (
	DefaultMaxSteps      = 10000
	DefaultMaxDepth      = 32
	DefaultMaxRetryAfter = 5 * time.Minute
)

// Runner runs the workflows of one loaded bundle. It is safe for
// concurrent use: each Run has its own state.
type Runner struct {
	plan    *plan
	opts    Options
	sender  Sender
	servers map[string]string // resolved base URL per source name
	noSrv   map[string]error  // why a source has no usable server
	// opServers holds the base URL of every operation of the sources
	// without an override: its own (operation or path level) server, else
	// its description's. opNoSrv says why an operation has none. They are
	// keyed by operation, not by source name, because documents a run
	// reaches may name different sources alike (a parent's and a child's
	// "petstoreAPI").
	opServers map[*openapi.Operation]string
	opNoSrv   map[*openapi.Operation]error
	hosts     map[string]bool // hosts x-operation URLs may address
	credState
}

// New compiles b for running. b should have passed validation; New still
// reports the problems that make running impossible.
func New(b *arazzo.Bundle, opts Options) (*Runner, error) {
	if opts.Clock == nil {
		opts.Clock = SystemClock{}
	}
	if opts.MaxSteps <= 0 {
		opts.MaxSteps = DefaultMaxSteps
	}
	if opts.MaxDepth <= 0 {
		opts.MaxDepth = DefaultMaxDepth
	}
	if opts.MaxRetryAfter <= 0 {
		opts.MaxRetryAfter = DefaultMaxRetryAfter
	}
	p, err := compile(b, opts)
	if err != nil {
		return nil, err
	}
	opts.Observer = withLogger(opts.Observer, opts.Logger)
	r := &Runner{plan: p, opts: opts, sender: opts.Sender}
	if r.sender == nil {
		if opts.HTTP.Clock == nil {
			opts.HTTP.Clock = opts.Clock
		}
		r.sender = NewHTTPSender(opts.HTTP)
	}
	r.resolveServers()
	return r, nil
}

// Close releases what the Runner holds between runs: the idle keep-alive
// connections (and their goroutines) of the HTTP transport it created. The
// Runner stays usable; a later run opens new connections.
func (r *Runner) Close() {
	if c, ok := r.sender.(interface{ CloseIdleConnections() }); ok && r.opts.Sender == nil {
		c.CloseIdleConnections()
	}
}

// observe sends e to the observer. Callers on the hot path check
// r.opts.Observer first, so that no event is built (and boxed) for nobody.
func (r *Runner) observe(e Event) {
	if r.opts.Observer != nil {
		r.opts.Observer.Observe(e)
	}
}

// resolveServers picks each source's base URL: the override (by source
// name, for every document the run reaches), else the description's first
// server with variable defaults. Operations with servers of their own
// (operation level, else path level) use the first of those instead, as
// OpenAPI specifies, unless the source is overridden.
func (r *Runner) resolveServers() {
	r.servers = map[string]string{}
	r.noSrv = map[string]error{}
	r.opServers = map[*openapi.Operation]string{}
	r.opNoSrv = map[*openapi.Operation]error{}
	r.hosts = map[string]bool{}
	for _, h := range r.opts.AllowHosts {
		r.hosts[strings.ToLower(h)] = true
	}
	for name, u := range r.opts.Servers {
		r.servers[name] = strings.TrimRight(u, "/")
		r.allowHost(u)
	}
	for _, src := range r.allSources() {
		name := src.Description.Name
		if _, ok := r.opts.Servers[name]; ok {
			continue
		}
		if src.OpenAPI == nil {
			continue
		}
		var docURL string
		var docErr error
		switch {
		case len(r.opts.Servers) > 0 && !r.opts.AllowDefaultServers:
			docErr = fmt.Errorf("source %q has no server override, and overrides were given for %s; pass --server %s=URL too (a run never falls back to a description's own server when others are overridden)", name, overrideNames(r.opts.Servers), name)
		case len(src.OpenAPI.Servers) == 0:
			docErr = fmt.Errorf("source %q (%s) describes no server; pass --server %s=URL", name, src.Location, name)
		default:
			if docURL, docErr = describedServer(src, src.OpenAPI.Servers[0], ""); docErr == nil {
				r.allowHost(docURL)
			}
		}
		// By name, the first document's source wins (x-operation steps
		// and credential confinement look servers up by name).
		if _, ok := r.servers[name]; !ok && docErr == nil {
			r.servers[name] = docURL
		} else if _, ok := r.noSrv[name]; !ok && docErr != nil {
			r.noSrv[name] = docErr
		}
		if len(r.opts.Servers) > 0 && !r.opts.AllowDefaultServers {
			for _, op := range src.OpenAPI.Operations {
				r.opNoSrv[op] = docErr
			}
			continue
		}
		r.resolveOperationServers(src, docURL, docErr)
	}
}

// resolveOperationServers records the base URL of each of src's
// operations: its own first server, else the description's (docURL, or
// docErr when the description has none).
func (r *Runner) resolveOperationServers(src *arazzo.Source, docURL string, docErr error) {
	doc := src.OpenAPI
	type resolved struct {
		u   string
		err error
	}
	// Operations of one path item share its servers: resolve them once.
	seen := map[*openapi.Server]resolved{}
	for _, op := range doc.Operations {
		res := resolved{docURL, docErr}
		if len(op.Servers) > 0 && (len(doc.Servers) == 0 || &op.Servers[0] != &doc.Servers[0]) {
			first := &op.Servers[0]
			var ok bool
			if res, ok = seen[first]; !ok {
				res.u, res.err = describedServer(src, *first, " operation "+op.Method+" "+op.Path)
				seen[first] = res
			}
		}
		if res.err != nil {
			r.opNoSrv[op] = res.err
			continue
		}
		r.opServers[op] = res.u
		r.allowHost(res.u)
	}
}

// describedServer expands s (variables at their defaults) and resolves it
// against the description's http(s) location; where names the operation
// in errors ("" for the description's own server).
func describedServer(src *arazzo.Source, s openapi.Server, where string) (string, error) {
	name := src.Description.Name
	u, err := s.URLWith(nil)
	if err != nil {
		return "", fmt.Errorf("source %q%s server %s: %v", name, where, s.URL, err)
	}
	u = openapi.ResolveServerURL(src.Location, u)
	if !strings.Contains(u, "://") {
		return "", fmt.Errorf("source %q%s has the relative server URL %q and was not loaded over http(s); pass --server %s=URL", name, where, u, name)
	}
	return strings.TrimRight(u, "/"), nil
}

func overrideNames(m map[string]string) string {
	names := make([]string, 0, len(m))
	for n := range m {
		names = append(names, n)
	}
	sort.Strings(names)
	return strings.Join(names, ", ")
}

func (r *Runner) allowHost(raw string) {
	if u, err := url.Parse(raw); err == nil && u.Host != "" {
		r.hosts[strings.ToLower(u.Host)] = true
	}
}

// allSources lists the sources of the root bundle and of every arazzo
// source reachable from it.
func (r *Runner) allSources() []*arazzo.Source {
	var out []*arazzo.Source
	seen := map[*arazzo.Bundle]bool{}
	var walk func(b *arazzo.Bundle)
	walk = func(b *arazzo.Bundle) {
		if b == nil || seen[b] {
			return
		}
		seen[b] = true
		names := make([]string, 0, len(b.Sources))
		for n := range b.Sources {
			names = append(names, n)
		}
		sort.Strings(names)
		for _, n := range names {
			src := b.Sources[n]
			out = append(out, src)
			walk(src.Arazzo)
		}
	}
	walk(r.plan.root)
	return out
}

// operationServerURL returns the base URL a request for op (an operation
// of source) goes to: the source's override, else the operation's own
// server when it has one, else its description's.
func (r *Runner) operationServerURL(source string, op *openapi.Operation) (string, error) {
	if _, overridden := r.opts.Servers[source]; !overridden && op != nil {
		if u, ok := r.opServers[op]; ok {
			return u, nil
		}
		if err, ok := r.opNoSrv[op]; ok {
			return "", err
		}
	}
	return r.serverURL(source)
}

// serverURL returns the base URL requests to source go to.
func (r *Runner) serverURL(source string) (string, error) {
	if u, ok := r.servers[source]; ok {
		return u, nil
	}
	if err, ok := r.noSrv[source]; ok {
		return "", err
	}
	return "", fmt.Errorf("source %q has no server; pass --server %s=URL", source, source)
}

// resolveXURL resolves an x-operation URL: relative ones against the
// step's source server, absolute ones only to known hosts.
func (r *Runner) resolveXURL(st *cstep, raw string) (string, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return "", fmt.Errorf("x-operation url %q: %w", raw, err)
	}
	if u.IsAbs() {
		if u.Scheme != "http" && u.Scheme != "https" {
			return "", fmt.Errorf("x-operation url %q: only http and https are allowed", raw)
		}
		if !r.hosts[strings.ToLower(u.Host)] {
			return "", &hostError{host: u.Host}
		}
		return raw, nil
	}
	base, err := r.serverURL(st.source)
	if err != nil {
		return "", err
	}
	b, err := url.Parse(base + "/")
	if err != nil {
		return "", err
	}
	if strings.HasPrefix(raw, "/") {
		// A rooted path continues the server's base path (/v1 + /x).
		return strings.TrimRight(base, "/") + raw, nil
	}
	return b.ResolveReference(u).String(), nil
}

// Workflows returns the ids of the root document's workflows in document order.
func (r *Runner) Workflows() []string {
	ids := make([]string, len(r.plan.order))
	for i, cw := range r.plan.order {
		ids[i] = cw.id
	}
	return ids
}

// CoerceInput converts a command-line string for input name of workflowID
// to the type its inputs schema declares.
func (r *Runner) CoerceInput(workflowID, name, text string) any {
	cw := r.plan.byID[workflowID]
	if cw == nil {
		return text
	}
	return cw.inputs.coerce(name, text)
}

// SensitiveInputs lists the inputs of workflowID whose schema marks them
// secret (format: password, writeOnly, x-sensitive).
func (r *Runner) SensitiveInputs(workflowID string) []string {
	cw := r.plan.byID[workflowID]
	if cw == nil {
		return nil
	}
	return cw.inputs.sensitive()
}

// NotFoundError is returned for an unknown workflow id.
type NotFoundError struct {
	WorkflowID string
	Known      []string
}

func (e *NotFoundError) Error() string {
	return fmt.Sprintf("no workflow %q in the document (workflows: %s)", e.WorkflowID, strings.Join(e.Known, ", "))
}

// Run runs one workflow of the root document with inputs. The result is
// always returned when the workflow was found; the error is the result's
// *StepError when the workflow did not succeed, or a *NotFoundError.
func (r *Runner) Run(ctx context.Context, workflowID string, inputs map[string]any, opts ...RunOption) (*WorkflowResult, error) {
	cw := r.plan.byID[workflowID]
	if cw == nil {
		return nil, &NotFoundError{WorkflowID: workflowID, Known: r.Workflows()}
	}
	s := newSession(r, opts)
	if err := r.checkServers(cw); err != nil {
		res := &WorkflowResult{WorkflowID: cw.id, Status: StatusFailed, Inputs: inputs, Started: r.opts.Clock.Now(),
			Error: &StepError{WorkflowID: cw.id, Kind: KindRequest, Message: err.Error(), Err: err}}
		return res, res.Error
	}
	res := s.runWorkflow(ctx, cw, inputs, 0, nil, "w:"+cw.id, s.memberOrder)
	if res.Status != StatusSucceeded {
		return res, res.Error
	}
	return res, nil
}

// RunAll runs every workflow of the root document in dependsOn order
// (each at most once: a dependency that already ran is not run again),
// with inputs[workflowId] as each one's inputs. It returns one result per
// workflow in document order and the first failure.
func (r *Runner) RunAll(ctx context.Context, inputs map[string]map[string]any, opts ...RunOption) ([]*WorkflowResult, error) {
	s := newSession(r, opts)
	s.inputs = inputs
	var results []*WorkflowResult
	var first error
	for _, cw := range r.plan.order {
		if res := s.finishedWorkflow(cw.bundleKey, cw.id); res != nil {
			results = append(results, res)
			continue
		}
		if err := r.checkServers(cw); err != nil {
			res := &WorkflowResult{WorkflowID: cw.id, Status: StatusFailed, Inputs: inputs[cw.id],
				Error: &StepError{WorkflowID: cw.id, Kind: KindRequest, Message: err.Error(), Err: err}}
			results = append(results, res)
			if first == nil {
				first = res.Error
			}
			continue
		}
		res := s.runWorkflow(ctx, cw, inputs[cw.id], 0, nil, "w:"+cw.id, s.memberOrder)
		results = append(results, res)
		if res.Status != StatusSucceeded && first == nil {
			first = res.Error
		}
	}
	return results, first
}

// checkServers fails before any request is sent when a workflow (or one
// it can reach) calls a source that has no usable server.
func (r *Runner) checkServers(cw *cworkflow) error {
	seen := map[*cworkflow]bool{}
	var problems []string
	var walk func(w *cworkflow)
	walk = func(w *cworkflow) {
		if seen[w] {
			return
		}
		seen[w] = true
		for _, d := range w.dependsOn {
			walk(d)
		}
		for _, st := range w.steps {
			if st.kind == stepOperation || st.kind == stepXOperation && st.source != "" {
				if _, err := r.operationServerURL(st.source, st.op); err != nil && !contains(problems, err.Error()) {
					problems = append(problems, err.Error())
				}
			}
			if st.target != nil {
				walk(st.target)
			}
			for _, a := range append(append([]*caction(nil), st.onSuccess...), st.onFailure...) {
				if a.target != nil {
					walk(a.target)
				}
			}
		}
	}
	walk(cw)
	if len(problems) > 0 {
		return fmt.Errorf("%s", strings.Join(problems, "; "))
	}
	return nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// InputNames lists the top-level inputs the workflow's schema declares.
func (r *Runner) InputNames(workflowID string) []string {
	cw := r.plan.byID[workflowID]
	if cw == nil || cw.inputs == nil {
		return nil
	}
	names := make([]string, 0, len(cw.inputs.props))
	for n := range cw.inputs.props {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}
