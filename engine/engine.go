// Package engine is the façade Go programs embed to run Arazzo workflows:
// open a document with its source descriptions, validate it, and run its
// workflows against real APIs.
//
//	doc, err := engine.Open(ctx, "backup.arazzo.yaml",
//		engine.WithServer("postgresManagementApi", "http://127.0.0.1:8080/v1"))
//	if err != nil { … }
//	res, err := doc.Run(ctx, "backup-and-restore-database", map[string]any{
//		"apiToken": token, "databaseId": "db_demo"})
//
// A Document is safe for concurrent use: one opened document can run many
// workflows at once.
package engine

import (
	"context"
	"crypto/tls"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/go-arazzo/arazzo/arazzo"
	"github.com/go-arazzo/arazzo/internal/fetch"
	"github.com/go-arazzo/arazzo/runner"
)

// Result is the outcome of one workflow run.
type Result = runner.WorkflowResult

// StepResult is the outcome of one step of a run.
type StepResult = runner.StepResult

// StepError explains why a workflow failed; errors.As finds it in the error
// Run returns.
type StepError = runner.StepError

// Event is something that happened during a run; see the runner package
// for the concrete event types an Observer receives.
type Event = runner.Event

// Observer receives events as runs progress.
type Observer = runner.Observer

// Clock supplies time and waiting to runs.
type Clock = runner.Clock

// Sender sends step requests.
type Sender = runner.Sender

// RunOption configures one call of Run or RunAll (see runner.RunOption).
type RunOption = runner.RunOption

// Journal makes a run durable and resumable (see runner.Journal); the
// journal package provides a file-backed one.
type Journal = runner.Journal

// WithJournal records the run in j and replays what j already holds, so
// that a run interrupted by a crash resumes without repeating requests.
func WithJournal(j Journal) RunOption { return runner.WithJournal(j) }

// WithWorkflowInputs gives inputs by workflow id for the workflows a Run
// reaches besides the one it starts (nested, goto and retry targets,
// dependsOn prerequisites); values a step or action passes win.
func WithWorkflowInputs(inputs map[string]map[string]any) RunOption {
	return runner.WithWorkflowInputs(inputs)
}

// WithInputOrder gives the written member order of the objects in the
// inputs, so that an object input sent as a parameter or body keeps it;
// arazzo.DecodeValue returns one for an inputs file. Without it such
// objects are sent with their members sorted by name.
func WithInputOrder(memberOrder func(obj map[string]any) []string) RunOption {
	return runner.WithInputOrder(memberOrder)
}

// WithResendInDoubt lets a resumed run send again a non-idempotent
// request whose outcome its journal does not know.
func WithResendInDoubt() RunOption { return runner.WithResendInDoubt() }

// ValidationError is returned when a document cannot be run because it has
// errors; Diagnostics lists them with their locations.
type ValidationError struct {
	File        string
	Diagnostics arazzo.Diagnostics
}

func (e *ValidationError) Error() string {
	errs := e.Diagnostics.Errors()
	if len(errs) == 0 {
		return e.File + ": invalid document"
	}
	msg := errs[0].String()
	if len(errs) > 1 {
		msg += fmt.Sprintf(" (and %d more errors; run `arazzo validate %s`)", len(errs)-1, e.File)
	}
	return msg
}

type config struct {
	run         runner.Options
	validate    arazzo.ValidateOptions
	fetch       fetch.Options
	runTimeout  time.Duration
	secrets     []string
	perWorkflow bool
}

// Option configures Open.
type Option func(*config)

// WithHTTPClient sends step requests (and fetches http(s) source
// descriptions) with c.
func WithHTTPClient(c *http.Client) Option {
	return func(cfg *config) { cfg.run.HTTP.Client = c; cfg.fetch.Client = c }
}

// WithRoundTripper uses rt as the transport of step requests.
func WithRoundTripper(rt http.RoundTripper) Option {
	return func(cfg *config) { cfg.run.HTTP.RoundTripper = rt }
}

// WithSender replaces HTTP sending altogether (tests, replays, durable
// execution hosts).
func WithSender(s Sender) Option { return func(cfg *config) { cfg.run.Sender = s } }

// WithServer sends requests for the source description named source to
// baseURL instead of the description's own server.
func WithServer(source, baseURL string) Option {
	return func(cfg *config) {
		if cfg.run.Servers == nil {
			cfg.run.Servers = map[string]string{}
		}
		cfg.run.Servers[source] = baseURL
	}
}

// WithAllowDefaultServers lets sources without an override use their
// description's server even when other sources are overridden.
func WithAllowDefaultServers() Option {
	return func(cfg *config) { cfg.run.AllowDefaultServers = true }
}

// WithAllowHosts lets x-operation URLs address these extra hosts.
func WithAllowHosts(hosts ...string) Option {
	return func(cfg *config) { cfg.run.AllowHosts = append(cfg.run.AllowHosts, hosts...) }
}

// WithAllowPaths confines source descriptions read from files to these
// directory trees (the document's own directory is always allowed).
func WithAllowPaths(dirs ...string) Option {
	return func(cfg *config) { cfg.fetch.AllowPaths = append(cfg.fetch.AllowPaths, dirs...) }
}

// WithPerWorkflowValidation makes Run refuse a workflow only for the
// validation errors that concern it: errors inside that workflow or a
// workflow it can start (workflowId steps, goto and retry targets,
// dependsOn, across documents), and errors outside every workflow (info,
// sourceDescriptions, components) of the documents involved. A document
// that has one broken workflow then still runs its other workflows, and
// running the broken one returns a *ValidationError listing its own
// errors. RunAll still refuses a document with any error, since it runs
// every workflow. Without this option a document with errors runs nothing,
// which is what the CLI does.
func WithPerWorkflowValidation() Option { return func(cfg *config) { cfg.perWorkflow = true } }

// WithClock replaces the clock used for waiting between retries.
func WithClock(c Clock) Option { return func(cfg *config) { cfg.run.Clock = c } }

// WithObserver receives events of every run. Given several times, every
// observer receives every event, in the order they were given.
func WithObserver(o Observer) Option {
	return func(cfg *config) {
		if prev, next := cfg.run.Observer, o; prev != nil && next != nil {
			o = runner.ObserverFunc(func(e Event) { prev.Observe(e); next.Observe(e) })
		}
		if o != nil {
			cfg.run.Observer = o
		}
	}
}

// WithTracer opens spans around workflows and step attempts (see
// runner.Tracer); the tracing package provides an OpenTelemetry one. A
// tracer that also has a WrapTransport(http.RoundTripper) http.RoundTripper
// method wraps the transport of step requests (whichever client or
// RoundTripper is configured), so that HTTP client spans nest under the
// attempt spans.
func WithTracer(t runner.Tracer) Option {
	return func(cfg *config) {
		cfg.run.Tracer = t
		cfg.run.HTTP.WrapTransport = nil
		if w, ok := t.(interface {
			WrapTransport(http.RoundTripper) http.RoundTripper
		}); ok {
			cfg.run.HTTP.WrapTransport = w.WrapTransport
		}
	}
}

// WithLogger receives debug logs (slog.LevelDebug): workflow start and
// end, each step attempt's request line (query values masked), status and
// failed criteria, actions and retry waits. They never contain header
// values, bodies, inputs or resolved values.
func WithLogger(l *slog.Logger) Option { return func(cfg *config) { cfg.run.Logger = l } }

// WithStepBudget bounds step executions per run (default 10,000).
func WithStepBudget(n int) Option { return func(cfg *config) { cfg.run.MaxSteps = n } }

// WithMaxDepth bounds workflow nesting (default 32).
func WithMaxDepth(n int) Option { return func(cfg *config) { cfg.run.MaxDepth = n } }

// WithRequestTimeout bounds each HTTP request (default 30 s).
func WithRequestTimeout(d time.Duration) Option {
	return func(cfg *config) { cfg.run.HTTP.Timeout = d }
}

// WithRunTimeout bounds a whole Run or RunAll call.
func WithRunTimeout(d time.Duration) Option { return func(cfg *config) { cfg.runTimeout = d } }

// WithTransportRetries sets the number of transport-level retries
// (default 3; negative for none).
func WithTransportRetries(n int) Option {
	return func(cfg *config) {
		if n == 0 {
			n = -1
		}
		cfg.run.HTTP.Retries = n
	}
}

// WithMaxBodyBytes limits response bodies (default 64 MiB).
func WithMaxBodyBytes(n int64) Option { return func(cfg *config) { cfg.run.HTTP.MaxBodyBytes = n } }

// WithMaxRetryAfter caps a server's Retry-After when it overrides a retry
// action's retryAfter (default 5 minutes).
func WithMaxRetryAfter(d time.Duration) Option {
	return func(cfg *config) { cfg.run.MaxRetryAfter = d }
}

// WithStrict rejects the lenient expression forms of published documents.
func WithStrict() Option {
	return func(cfg *config) { cfg.run.Strict = true; cfg.validate.Strict = true }
}

// WithSecrets registers literal values that must never appear in output.
func WithSecrets(values ...string) Option {
	return func(cfg *config) { cfg.secrets = append(cfg.secrets, values...) }
}

// WithInsecure turns TLS certificate verification of step requests off.
// Verification is on by default; the CLI prints a warning in the summary
// and sets "insecure": true in its JSON report when this is used.
func WithInsecure() Option { return func(cfg *config) { cfg.run.HTTP.Insecure = true } }

// WithClientCert presents cert (mTLS) to host, and only to host, on step
// requests. host is "name" (every port) or "name:port".
func WithClientCert(host string, cert tls.Certificate) Option {
	return func(cfg *config) {
		if cfg.run.HTTP.ClientCerts == nil {
			cfg.run.HTTP.ClientCerts = map[string]tls.Certificate{}
		}
		cfg.run.HTTP.ClientCerts[host] = cert
	}
}

// WithMaxRedirects bounds the redirects a step request follows (default
// 10; negative: none, a redirect then fails the request).
func WithMaxRedirects(n int) Option { return func(cfg *config) { cfg.run.HTTP.MaxRedirects = n } }

// Document is an opened Arazzo document with its sources and diagnostics.
type Document struct {
	// Bundle is the loaded document and its source descriptions.
	Bundle *arazzo.Bundle
	file   string
	diags  arazzo.Diagnostics
	cfg    config

	once      sync.Once
	runner    *runner.Runner
	runnerErr error
}

// Open loads the Arazzo document at path (a file or an http(s) URL) with
// its source descriptions and validates it. The error is non-nil only when
// the document could not be read or parsed at all; other problems are in
// Diagnostics, and Run refuses documents with errors.
func Open(ctx context.Context, path string, opts ...Option) (*Document, error) {
	var cfg config
	for _, o := range opts {
		o(&cfg)
	}
	if len(cfg.fetch.AllowPaths) > 0 && !fetch.IsURL(path) {
		cfg.fetch.AllowPaths = append(cfg.fetch.AllowPaths, dirOf(path))
	}
	b, diags := arazzo.Load(ctx, path, arazzo.LoadOptions{Fetcher: fetch.New(cfg.fetch)})
	if b == nil || b.Document == nil {
		return nil, &ValidationError{File: path, Diagnostics: diags}
	}
	diags = append(diags, arazzo.Validate(b, cfg.validate)...)
	return &Document{Bundle: b, file: path, diags: diags, cfg: cfg}, nil
}

// Validate opens path and returns its diagnostics.
func Validate(ctx context.Context, path string, opts ...Option) arazzo.Diagnostics {
	doc, err := Open(ctx, path, opts...)
	if err != nil {
		if ve, ok := err.(*ValidationError); ok {
			return ve.Diagnostics
		}
		return arazzo.Diagnostics{{Severity: arazzo.SeverityError, Rule: "load", File: path, Message: err.Error()}}
	}
	return doc.Diagnostics()
}

// Diagnostics returns every finding of loading and validation.
func (d *Document) Diagnostics() arazzo.Diagnostics { return d.diags }

// Valid reports whether the document has no errors (warnings allowed).
func (d *Document) Valid() bool { return !d.diags.HasErrors() }

// File returns the location the document was opened from.
func (d *Document) File() string { return d.file }

func (d *Document) getRunner() (*runner.Runner, error) {
	d.once.Do(func() {
		if d.diags.HasErrors() && !d.cfg.perWorkflow {
			d.runnerErr = &ValidationError{File: d.file, Diagnostics: d.diags}
			return
		}
		// With per-workflow validation the runner is built despite errors:
		// runner.New compiles each workflow on its own, and Run checks
		// the errors that concern the workflow before running it.
		d.runner, d.runnerErr = runner.New(d.Bundle, d.cfg.run)
	})
	return d.runner, d.runnerErr
}

// Run runs the workflow workflowID with inputs. It returns the result
// whenever the workflow ran; the error is a *StepError when it failed, a
// *ValidationError when the document has errors (with
// WithPerWorkflowValidation: errors that concern this workflow).
func (d *Document) Run(ctx context.Context, workflowID string, inputs map[string]any, opts ...RunOption) (*Result, error) {
	r, err := d.getRunner()
	if err != nil {
		return nil, err
	}
	if d.cfg.perWorkflow && d.diags.HasErrors() {
		if errs := d.WorkflowErrors(workflowID); len(errs) > 0 {
			return nil, &ValidationError{File: d.file, Diagnostics: errs}
		}
	}
	if d.cfg.runTimeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, d.cfg.runTimeout)
		defer cancel()
	}
	return r.Run(ctx, workflowID, inputs, opts...)
}

// RunAll runs every workflow of the document in dependsOn order, with
// inputs[workflowID] as each one's inputs. It refuses a document with
// errors, per-workflow validation or not: every error concerns some
// workflow it would run.
func (d *Document) RunAll(ctx context.Context, inputs map[string]map[string]any, opts ...RunOption) ([]*Result, error) {
	if d.diags.HasErrors() {
		return nil, &ValidationError{File: d.file, Diagnostics: d.diags}
	}
	r, err := d.getRunner()
	if err != nil {
		return nil, err
	}
	if d.cfg.runTimeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, d.cfg.runTimeout)
		defer cancel()
	}
	return r.RunAll(ctx, inputs, opts...)
}

// CoerceInputs converts command-line strings to the types the workflow's
// inputs schema declares (integers, numbers, booleans, JSON objects and
// arrays); values that do not convert stay strings.
func (d *Document) CoerceInputs(workflowID string, text map[string]string) map[string]any {
	out := make(map[string]any, len(text))
	r, err := d.getRunner()
	for k, v := range text {
		if err != nil {
			out[k] = v
			continue
		}
		out[k] = r.CoerceInput(workflowID, k, v)
	}
	return out
}

// SensitiveInputs lists the inputs of workflowID that its schema marks
// secret (format: password, writeOnly: true, x-sensitive: true).
func (d *Document) SensitiveInputs(workflowID string) []string {
	r, err := d.getRunner()
	if err != nil {
		return nil
	}
	return r.SensitiveInputs(workflowID)
}

// Secrets returns the literal secrets registered with WithSecrets.
func (d *Document) Secrets() []string { return d.cfg.secrets }

// WorkflowIDs returns the document's workflow ids in document order.
func (d *Document) WorkflowIDs() []string {
	ids := make([]string, 0, len(d.Bundle.Document.Workflows))
	for _, w := range d.Bundle.Document.Workflows {
		ids = append(ids, w.WorkflowID)
	}
	return ids
}

// InputNames lists the top-level inputs workflowID's schema declares.
func (d *Document) InputNames(workflowID string) []string {
	r, err := d.getRunner()
	if err != nil {
		return nil
	}
	return r.InputNames(workflowID)
}

// Close releases the idle keep-alive connections of the HTTP transport
// the engine created for this document, so that no goroutine outlives the
// runs. The Document stays usable: a later run opens new connections.
func (d *Document) Close() error {
	if r, err := d.getRunner(); err == nil {
		r.Close()
	}
	return nil
}

// WorkflowErrors returns the errors of the document that concern running
// workflowID (see WithPerWorkflowValidation): those located in it or in a
// workflow it can start, directly or through others, and those outside
// every workflow of each document involved. It is empty for an unknown
// workflow id, which Run reports itself.
func (d *Document) WorkflowErrors(workflowID string) arazzo.Diagnostics {
	root := d.Bundle.Document.Workflow(workflowID)
	if root == nil {
		return nil
	}
	type place struct {
		file  string
		index int // -1: outside every workflow
	}
	reached := map[place]bool{}
	var visit func(b *arazzo.Bundle, w *arazzo.Workflow)
	visit = func(b *arazzo.Bundle, w *arazzo.Workflow) {
		file := b.Document.Location
		at := place{file, slices.Index(b.Document.Workflows, w)}
		if reached[at] {
			return
		}
		reached[at] = true
		reached[place{file, -1}] = true
		for _, ref := range startedWorkflows(w) {
			// An unresolvable reference is an error located in w.
			if tb, tw, err := b.ResolveWorkflow(ref); err == nil {
				visit(tb, tw)
			}
		}
	}
	visit(d.Bundle, root)
	var out arazzo.Diagnostics
	for _, x := range d.diags.Errors() {
		file := x.File
		if file == "" {
			file = d.Bundle.Document.Location
		}
		if reached[place{file, workflowIndex(x.Path)}] {
			out = append(out, x)
		}
	}
	return out
}

// startedWorkflows lists the workflow references through which w can start
// another workflow: dependsOn, workflowId steps, and goto and retry
// actions of its steps and of the workflow itself.
func startedWorkflows(w *arazzo.Workflow) []string {
	refs := append([]string(nil), w.DependsOn...)
	actions := append(append([]*arazzo.Action(nil), w.SuccessActions...), w.FailureActions...)
	for _, s := range w.Steps {
		if s == nil {
			continue
		}
		if s.WorkflowID != "" {
			refs = append(refs, s.WorkflowID)
		}
		actions = append(append(actions, s.OnSuccess...), s.OnFailure...)
	}
	for _, a := range actions {
		if a != nil && a.WorkflowID != "" {
			refs = append(refs, a.WorkflowID)
		}
	}
	return refs
}

// workflowIndex returns N for a diagnostic path under /workflows/N, else -1.
func workflowIndex(path string) int {
	rest, ok := strings.CutPrefix(path, "/workflows/")
	if !ok {
		return -1
	}
	n, _, _ := strings.Cut(rest, "/")
	i, err := strconv.Atoi(n)
	if err != nil || i < 0 {
		return -1
	}
	return i
}
