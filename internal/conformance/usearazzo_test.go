package conformance

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-arazzo/arazzo/arazzo"
	"github.com/go-arazzo/arazzo/engine"
	"github.com/go-arazzo/arazzo/internal/testutil"
	"github.com/go-arazzo/arazzo/runner"
)

// useSkips lists the usearazzo cases known to fail, with why. IDs are
// "<fixture base name>#<index in cases.json>". Cases the harness cannot
// express at all are not listed here: useRule and the view (usearazzo_view_test.go)
// rule them out with their reason.
var useSkips = map[string]string{
	// Validation is per workflow, but whole: a workflow with an error, or
	// one that can start such a workflow, is refused before it runs.
	"workflow-control-flow#1":  skipMinItems,
	"workflow-control-flow#47": skipMinItems + "; transferOnFailure transfers to it",
	"workflow-control-flow#51": skipMinItems + "; transfersToEmpty transfers to it",
	"workflow-control-flow#61": skipMinItems + "; retryWithBudgetedWorkflowReference's retry runs it",
	"workflow-control-flow#48": skipUpFront + " (a goto naming both a stepId and a workflowId, action-target-exists)",
	"workflow-control-flow#60": skipUpFront + " (a retry naming both a stepId and a workflowId, action-target-exists)",
	"workflow-control-flow#50": skipUpFront + " (its goto names a workflow of the OpenAPI source petstoreAPI, workflow-exists), so the abort at the transfer boundary is never reached",
	"cross-document#111":       "semantics: the entry document's `shared` reads `$workflows.shared.outputs.source` after calling the child document's `shared`; `$workflows.<id>` names a workflow of the current document (Arazzo 1.0.1 runtime expressions), here the entry's own `shared`, still running, so the value is null. Upstream keys finished workflows by id alone, so the child's `shared`, which just finished, answers (the fixture calls this a key collision)",
	"workflow-composition#72":  "validation: echoFailing (which retriesChildStableInputs calls) has the step output `nextStatus: sold`, a literal where the spec requires a runtime expression (expression-syntax); upstream takes it as the string",
	"workflow-composition#96":  "validation: `$workflows.childThatTransfers.outputs.name` reads an output childThatTransfers does not define (step-output-defined); upstream reads it as absent",
	"cross-document#109":       skipForeignWorkflows + " (`$workflows.childFetch` in crossDocumentStep)",
	"cross-document#110":       skipForeignWorkflows + " (`$workflows.childCallsShared` in deepEntry)",
	"cross-document#113":       skipForeignWorkflows + " (`$workflows.childFetch` in crossDocumentStep)",
	"workflow-control-flow#56": "error.stepId: upstream names the missing retry target (\"nonexistent\"); the engine's validation error is located at, and names, the step that holds the retry action (doomed)",
	"cross-document#126":       "error.workflowId: upstream names the missing foreign workflow (noSuchWorkflow); the engine's validation error is located in, and names, the workflow that holds the reference (unknownForeignWorkflow)",

	// Semantics the engine chose differently (docs/semantics.md, Part 4).
	"workflow-control-flow#12": skipTwoXX + ": overridesFailureActions' recovery step gets HTTP 500",
	"workflow-control-flow#53": skipTwoXX + ": transfersToFailing's step gets HTTP 500, so it fails instead of taking its onSuccess goto",
	"workflow-composition#97":  skipTwoXX + ": childThatTransfersToFailing's step gets HTTP 500, so it fails instead of taking its onSuccess goto",
	"workflow-composition#99":  skipTwoXX + ": childThatTransfersToFailing's step gets HTTP 500, so it fails instead of taking its onSuccess goto",
	"workflow-control-flow#14": "step onSuccess `[]` adds the workflow successActions (a step's actions are merged with the workflow's by name, docs/semantics.md \"Step order and actions\"); upstream takes an empty list as suppressing them",
	"workflow-control-flow#44": "workflow outputs are evaluated however the workflow ends, a transfer included (docs/semantics.md \"goto and end\"); upstream leaves them empty after a transfer",
	"workflow-composition#80":  skipTransfer + ": gotoCycleA and gotoCycleB loop until the step budget instead of failing as a cycle",
	"workflow-composition#81":  skipTransfer + ": a chain of transfers does not nest, so maxWorkflowDepth does not bound it",
	"workflow-control-flow#33": skipCancelInFlight,
	"workflow-control-flow#39": skipCancelInFlight,
	"workflow-control-flow#34": skipCancelInFlight + ", and no retry wait follows it",
	"workflow-control-flow#59": skipCancelInFlight + ", and no retry wait follows it",

	// Engine gaps.
	"workflow-composition#95": "error.path through a retry reference: the runs of retry actions' workflowId references are not recorded in the result (no StepResult.retryReferences), so the failure chain stops at retryRefCycleParent (the reason, workflow-cycle, matches)",
}

const (
	skipMinItems         = "validation: emptyWorkflow has `steps: []`, and the Arazzo schema requires at least one step (minItems: 1); upstream runs it as a no-op"
	skipUpFront          = "validation: the engine refuses the workflow before its first request; upstream runs the step and fails when the malformed action is taken"
	skipForeignWorkflows = "validation: `$workflows.<id>` names a workflow of this document (workflow-exists); upstream also reads workflows of other documents the run executed, by bare id"
	skipTwoXX            = "a step without successCriteria succeeds only on a 2xx status (docs/semantics.md \"Step success\"); upstream counts any response a success"
	skipTransfer         = "a goto to a workflow takes the place of the workflow that transferred (same depth, off the recursion chain; docs/semantics.md \"goto and end\"); upstream pushes it onto the chain"
	skipCancelInFlight   = "cancellation during a request: the engine reports the step whose request was in flight as cancelled and drops its response; upstream lets that step finish and stops at the next boundary"
)

// useReasonOutcomes maps usearazzo's ExecutionError/ResolverError reasons
// to the outcomes that mean the same here: "kind:<runner.ErrorKind>" for a
// run that failed, "rule:<diagnostic rule>" for a workflow the engine
// refuses before running it (engine.WithPerWorkflowValidation) because of
// a validation error with that rule.
var useReasonOutcomes = map[string][]string{
	"aborted":                       {"kind:" + string(runner.KindCancelled)},
	"workflow-cycle":                {"kind:" + string(runner.KindNesting)},
	"dependsOn-cycle":               {"kind:" + string(runner.KindNesting), "rule:depends-on-cycle"},
	"workflow-not-found":            {"kind:" + string(runner.KindNotFound), "rule:workflow-exists", "rule:depends-on-exists"},
	"workflow-depth":                {"kind:" + string(runner.KindNesting)},
	"step-budget":                   {"kind:" + string(runner.KindStepBudget)},
	"ambiguous-target":              {"rule:action-target-exists", "rule:step-target-exactly-one"},
	"retry-target-not-found":        {"rule:action-target-exists"},
	"invalid-workflow-reference":    {"rule:workflow-exists"},
	"source-description-not-found":  {"rule:workflow-exists"},
	"source-description-not-arazzo": {"rule:workflow-exists"},
	"malformed-steps":               {"rule:type-mismatch"},
	"malformed-outputs":             {"rule:type-mismatch"},
	"malformed-dependsOn":           {"rule:type-mismatch"},
	"malformed-actions":             {"rule:type-mismatch"},
}

// useRejects maps the message patterns of `rejects` checks (a run that
// throws) to the outcomes that mean the same, as useReasonOutcomes.
var useRejects = []struct {
	message  *regexp.Regexp
	outcomes []string
}{
	{regexp.MustCompile(`goto target step`), []string{"rule:action-target-exists"}},
	{regexp.MustCompile(`budget of \d+ step attempts`), []string{"kind:" + string(runner.KindStepBudget)}},
	{regexp.MustCompile(`has neither stepId nor workflowId`), []string{"rule:action-target-exists"}},
	{regexp.MustCompile(`has unsupported type`), []string{"rule:schema"}},
	{regexp.MustCompile(`non-list`), []string{"rule:type-mismatch"}},
	{regexp.MustCompile(`which is not an Arazzo document`), []string{"rule:workflow-exists"}},
	{regexp.MustCompile(`not found`), []string{"kind:" + string(runner.KindNotFound), "rule:workflow-exists"}},
}

type useCase struct {
	Fixture   string `json:"fixture"`
	Transport string `json:"transport"`
	Title     string `json:"title"`
	Harness   *struct {
		Responses []json.RawMessage `json:"responses"`
		Options   map[string]any    `json:"options"`
	} `json:"harness"`
	Runs []struct {
		WorkflowID string         `json:"workflowId"`
		Options    map[string]any `json:"options"`
	} `json:"runs"`
	Checks      []map[string]any  `json:"checks"`
	Aliases     map[string]string `json:"aliases"`
	APISpecific bool              `json:"api_specific"`
}

// useResponse is one canned response.
type useResponse struct {
	Status int             `json:"status"`
	Body   json.RawMessage `json:"body"`
}

var (
	jsSingleQuoted = regexp.MustCompile(`'([^'\\]*)'`)
	jsBareKey      = regexp.MustCompile(`([{,]\s*)([A-Za-z_$][A-Za-z0-9_$]*)\s*:`)
)

// decodeUseResponse reads a canned response: JSON, or a JS object literal
// {"js": "{ status: 200, statusText: 'OK', body: { token: 'A' } }"} with
// bare keys and single-quoted strings, which is turned into JSON.
func decodeUseResponse(raw json.RawMessage) (useResponse, error) {
	var r useResponse
	var js struct {
		JS string `json:"js"`
	}
	if err := json.Unmarshal(raw, &js); err == nil && js.JS != "" {
		text := jsSingleQuoted.ReplaceAllString(js.JS, `"$1"`)
		text = jsBareKey.ReplaceAllString(text, `$1"$2":`)
		if err := json.Unmarshal([]byte(text), &r); err != nil {
			return r, fmt.Errorf("JS response literal %q: %v", js.JS, err)
		}
		return r, nil
	}
	err := json.Unmarshal(raw, &r)
	return r, err
}

func TestUseArazzo(t *testing.T) {
	root := testutil.ConformanceDir(t, "usearazzo")
	ty := newTally("usearazzo", useSkips)
	defer ty.report(t)
	data, err := os.ReadFile(filepath.Join(root, "cases.json"))
	if err != nil {
		t.Fatal(err)
	}
	var f struct {
		Cases []useCase `json:"cases"`
	}
	if err := json.Unmarshal(data, &f); err != nil {
		t.Fatalf("cases.json: %v", err)
	}
	for i, c := range f.Cases {
		id := fmt.Sprintf("%s#%d", strings.TrimSuffix(filepath.Base(c.Fixture), ".arazzo.yaml"), i)
		t.Run(id, func(t *testing.T) {
			t.Log(c.Title)
			if reason := useRule(c); reason != "" {
				ty.rule(t, id, reason)
			}
			p, unmapped := runUseCase(t, root, c)
			if unmapped != "" {
				ty.rule(t, id, unmapped)
			}
			ty.verdict(t, id, p)
		})
	}
}

// useRule returns why a case cannot be expressed against this engine, or "".
func useRule(c useCase) string {
	switch {
	case c.Harness == nil || len(c.Harness.Responses) == 0:
		return "no canned responses: the JS test injects a step executor or a transport that never answers"
	case len(c.Runs) == 0 || len(c.Runs) > 2:
		return fmt.Sprintf("%d runs in one test", len(c.Runs))
	}
	for _, raw := range c.Harness.Responses {
		if _, err := decodeUseResponse(raw); err != nil {
			return "canned response: " + err.Error()
		}
	}
	if c.APISpecific {
		if reason := useAbortRule(c); reason != "" {
			return reason
		}
	}
	for _, run := range c.Runs {
		for k, v := range run.Options {
			switch k {
			case "inputs":
			case "dependencyInputs":
				m, _ := v.(map[string]any)
				for ref := range m {
					if strings.HasPrefix(ref, "$") {
						return fmt.Sprintf("run option dependencyInputs keyed by %q: engine.WithWorkflowInputs gives inputs by the id of a workflow of the run's own document (runner.session.inputsFor), and a prerequisite of another document gets the dependent's inputs", ref)
					}
				}
			case "executeOptions":
				m, _ := v.(map[string]any)
				for opt := range m {
					if opt != "server" {
						return fmt.Sprintf("run option executeOptions.%s (the JS executor's per-request option bag) has no engine equivalent", opt)
					}
				}
			case "runDependencies":
				return "run option runDependencies (run without the dependsOn prerequisites) has no engine equivalent: a Run always runs them"
			case "js":
				if _, err := useJSRunOptions(v); err != nil {
					return fmt.Sprintf("run options given as a JS expression (%v): %v", v, err)
				}
			default:
				return "run option " + k + " has no engine equivalent"
			}
		}
	}
	for k, v := range c.Harness.Options {
		switch k {
		case "maxSteps", "tickMs":
		case "maxWorkflowDepth":
			if n, _ := v.(float64); n < 2 {
				return fmt.Sprintf("harness option maxWorkflowDepth %v (no nesting at all) has no engine equivalent: runner.Options.MaxDepth counts the levels below the run's workflow (upstream's limit minus one), and MaxDepth 0 means the default (32)", v)
			}
		case "js":
			if useAbortOnCall(v) == nil {
				return fmt.Sprintf("harness option given as a JS expression (%v): a transport hook of the JS test with no engine equivalent", v)
			}
		default:
			return "harness option " + k + " has no engine equivalent"
		}
	}
	for _, ch := range c.Checks {
		if reason := useCheckRule(c, ch); reason != "" {
			return reason
		}
	}
	return ""
}

func runUseCase(t *testing.T, root string, c useCase) (problems, string) {
	var p problems
	var mu sync.Mutex
	var calls []map[string]any
	clock := newFakeClock()
	tick, _ := c.Harness.Options["tickMs"].(float64)
	responses := make([]useResponse, len(c.Harness.Responses))
	for i, raw := range c.Harness.Responses {
		responses[i], _ = decodeUseResponse(raw)
	}
	// An AbortSignal passed to the run is its context; a transport hook
	// that aborts it (onCall) cancels that context.
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	abortOnCall := useAbortOnCall(c.Harness.Options["js"])
	sender := runner.SenderFunc(func(_ context.Context, req *runner.Request) (*runner.Response, error) {
		mu.Lock()
		n := len(calls)
		calls = append(calls, map[string]any{"url": req.URL, "method": req.Method})
		mu.Unlock()
		if abortOnCall != nil && abortOnCall(n+1) {
			cancel()
		}
		if tick > 0 {
			// Upstream's fake clock advances tickMs per request.
			clock.mu.Lock()
			clock.now = clock.now.Add(time.Duration(tick) * time.Millisecond)
			clock.mu.Unlock()
		}
		r := responses[min(n, len(responses)-1)]
		if c.Transport == "constant" {
			r = responses[0]
		}
		return &runner.Response{StatusCode: r.Status, Header: http.Header{"Content-Type": {"application/json"}}, Body: r.Body}, nil
	})
	rc := &runConfig{clock: clock, sender: sender, client: &http.Client{Transport: useFiles{root: root}}}
	if v, ok := c.Harness.Options["maxSteps"].(float64); ok {
		rc.maxSteps = int(v)
	}
	if v, ok := c.Harness.Options["maxWorkflowDepth"].(float64); ok {
		// Upstream counts the run's own workflow as level 1; MaxDepth
		// counts the levels below it.
		rc.maxDepth = int(v) - 1
	}

	// Upstream validates lazily, per workflow: errors of other workflows of
	// the fixture do not stop this one (engine.WithPerWorkflowValidation).
	location := useBase + filepath.ToSlash(c.Fixture)
	opts := append(rc.engineOptions(), engine.WithPerWorkflowValidation())
	doc, err := engine.Open(context.Background(), location, opts...)
	if err != nil {
		p.add("open: %v", err)
		return p, ""
	}
	if server, ok := useField(c.Runs[0].Options["executeOptions"], "server").(string); ok {
		ctx := context.Background()
		// executeOptions.server sends every request of the run to server:
		// the same base URL for every OpenAPI source of every document.
		for _, name := range useSourceNames(doc.Bundle) {
			opts = append(opts, engine.WithServer(name, server))
		}
		if doc, err = engine.Open(ctx, location, opts...); err != nil {
			p.add("open: %v", err)
			return p, ""
		}
	}

	var results []*engine.Result
	var runErr error
	for i, run := range c.Runs {
		inputs, _ := run.Options["inputs"].(map[string]any)
		if js, ok := run.Options["js"]; ok {
			o, _ := useJSRunOptions(js)
			inputs, _ = o["inputs"].(map[string]any)
		}
		var ropts []engine.RunOption
		if deps, ok := run.Options["dependencyInputs"].(map[string]any); ok {
			byID := map[string]map[string]any{}
			for id, v := range deps {
				byID[id], _ = v.(map[string]any)
			}
			ropts = append(ropts, engine.WithWorkflowInputs(byID))
		}
		res, err := doc.Run(ctx, run.WorkflowID, inputs, ropts...)
		results = append(results, res)
		if i == 0 {
			runErr = err
		}
	}
	res := results[0]

	view := useView(res)
	mu.Lock()
	view["http_calls"] = toAnySlice(calls)
	mu.Unlock()
	sleeps := []any{}
	for _, d := range clock.Sleeps() {
		sleeps = append(sleeps, float64(d.Milliseconds()))
	}
	view["sleeps_ms"] = sleeps
	outcomes, errView := useErrorView(doc, res, runErr)
	if errView != nil {
		view["error"] = errView
	}
	env := &useEnv{root: view, aliases: c.Aliases, runs: map[string]any{}}
	if len(results) > 1 {
		// A second run's result is named by the one root the checks use
		// that is neither a result field nor an alias ("passing").
		env.runs[useExtraRoot(c)] = useView(results[1])
	}

	for _, ch := range c.Checks {
		path, _ := ch["path"].(string)
		if ch["rejects"] == true && path == "" {
			re, _ := ch["message_matches"].(map[string]any)
			pattern, _ := re["regex"].(string)
			if runErr == nil {
				p.add("run did not fail, want an error like /%s/", pattern)
				continue
			}
			var want []string
			for _, m := range useRejects {
				if m.message.MatchString(strings.ReplaceAll(pattern, `\`, "")) {
					want = m.outcomes
					break
				}
			}
			if !overlaps(want, outcomes) {
				p.add("error %v, want one of %v (upstream /%s/): %s", outcomes, want, pattern, describe(res, runErr))
			}
			continue
		}
		path = useNormalize(path)
		if path == "error.reason" {
			want, _ := ch["equals"].(string)
			if runErr == nil {
				p.add("run did not fail, want reason %s", want)
			} else if !overlaps(useReasonOutcomes[want], outcomes) {
				p.add("error %v, want one of %v (reason %s): %s", outcomes, useReasonOutcomes[want], want, describe(res, runErr))
			}
			continue
		}
		if path == "error.message" {
			re, _ := ch["matches"].(map[string]any)
			pattern, _ := re["regex"].(string)
			ours := useMessages[pattern]
			msg, _ := errView["message"].(string)
			if runErr == nil {
				p.add("run did not fail, want a message like /%s/", pattern)
			} else if !ours.MatchString(msg) {
				p.add("error.message: %q does not match /%s/ (upstream /%s/)", msg, ours, pattern)
			}
			continue
		}
		got, found, unmapped := env.eval(path)
		if unmapped != "" {
			return nil, fmt.Sprintf("check path %q: %s", ch["path"], unmapped)
		}
		if js, ok := useField(ch["equals"], "js").(string); ok {
			want, _, unmapped := env.eval(useNormalize(js))
			if unmapped != "" {
				return nil, fmt.Sprintf("check value %q: %s", js, unmapped)
			}
			ch = map[string]any{"equals": want}
		}
		if js, ok := useField(ch["not_equals"], "js").(string); ok {
			want, _, unmapped := env.eval(useNormalize(js))
			if unmapped != "" {
				return nil, fmt.Sprintf("check value %q: %s", js, unmapped)
			}
			ch = map[string]any{"not_equals": want}
		}
		t.Logf("check %s %s: got %s", path, show(ch), show(got))
		if msg := useCheck(ch, got, found); msg != "" {
			p.add("%s: %s", path, msg)
		}
	}
	if len(p) > 0 && runErr != nil {
		p.add("run error %v: %s", outcomes, describe(res, runErr))
	}
	return p, ""
}

// useAbortRule returns why a case of upstream's JS API (api_specific)
// cannot be expressed, or "" for the ones that map to context
// cancellation: the run is given an AbortSignal (its context), and a
// transport hook (useAbortOnCall) aborts it.
func useAbortRule(c useCase) string {
	for _, ch := range c.Checks {
		path, _ := ch["path"].(string)
		if strings.Contains(path, "signal") || path == "error.cause" {
			return "asserts the JS AbortSignal object or its reason (" + path + "), which have no engine equivalent"
		}
	}
	if useAbortOnCall(c.Harness.Options["js"]) == nil {
		return "JS-API specific: when the run's AbortSignal fires is not transcribed in cases.json (no transport hook aborts it)"
	}
	for _, run := range c.Runs {
		o, err := useJSRunOptions(run.Options["js"])
		if err != nil {
			return fmt.Sprintf("run options given as a JS expression (%v): %v", run.Options["js"], err)
		}
		if o["signal"] == nil && useField(o["executeOptions"], "signal") == nil {
			return "JS-API specific: the transport hook aborts a signal the run is not given"
		}
	}
	return ""
}

var jsTrailingComma = regexp.MustCompile(`,\s*}`)

// useJSRunOptions decodes run options given as a JS object literal
// ("{ inputs: { status: 'available' }, signal: controller.signal }"):
// controller.signal, the AbortSignal the test controls, becomes true.
func useJSRunOptions(v any) (map[string]any, error) {
	js, _ := v.(string)
	if js == "" {
		return map[string]any{}, nil
	}
	if strings.Contains(js, " as ") || strings.Contains(js, "stale.") {
		return nil, errors.New("JS-API typing or a second AbortSignal, no engine equivalent")
	}
	text := strings.ReplaceAll(js, "controller.signal", "true")
	text = jsSingleQuoted.ReplaceAllString(text, `"$1"`)
	text = jsBareKey.ReplaceAllString(text, `$1"$2":`)
	text = jsTrailingComma.ReplaceAllString(text, "}")
	var o map[string]any
	if err := json.Unmarshal([]byte(text), &o); err != nil {
		return nil, fmt.Errorf("not a plain object literal: %v", err)
	}
	return o, nil
}

// useAbortOnCall recognises upstream's transport hooks that abort the
// run's signal: on every request, or on the second one. It returns whether
// request number n (from 1) aborts, or nil for other hooks.
func useAbortOnCall(v any) func(n int) bool {
	switch js, _ := v.(string); strings.Join(strings.Fields(js), " ") {
	case "{ onCall: () => controller.abort(), }":
		return func(int) bool { return true }
	case "{ onCall: () => { if (calls.length === 2) controller.abort(); }, }":
		return func(n int) bool { return n == 2 }
	}
	return nil
}

// useExtraRoot is the root a case's checks give the second run's result.
func useExtraRoot(c useCase) string {
	for _, ch := range c.Checks {
		path, _ := ch["path"].(string)
		r := useRootName(useNormalize(path))
		if _, alias := c.Aliases[r]; r != "" && !alias && !useRoots[r] {
			return r
		}
	}
	return ""
}

// useSourceNames lists the OpenAPI source names of b and of the Arazzo
// documents it reaches.
func useSourceNames(b *arazzo.Bundle) []string {
	seen := map[*arazzo.Bundle]bool{}
	names := map[string]bool{}
	var walk func(*arazzo.Bundle)
	walk = func(b *arazzo.Bundle) {
		if b == nil || seen[b] {
			return
		}
		seen[b] = true
		for name, src := range b.Sources {
			if src.OpenAPI != nil {
				names[name] = true
			}
			walk(src.Arazzo)
		}
	}
	walk(b)
	out := make([]string, 0, len(names))
	for n := range names {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// useErrorView is the `error` of a failed run, and the outcomes it counts
// as: "kind:<kind>" for a run that failed (the innermost StepError on the
// chain of failing results), "rule:<rule>" for each validation error that
// made the engine refuse the workflow, "kind:not-found" for an unknown
// workflow.
func useErrorView(doc *engine.Document, res *engine.Result, err error) ([]string, map[string]any) {
	if err == nil {
		return nil, nil
	}
	e := map[string]any{"message": err.Error()}
	var outcomes []string
	var ve *engine.ValidationError
	var nf *runner.NotFoundError
	switch {
	case errors.As(err, &ve):
		for _, d := range ve.Diagnostics {
			outcomes = append(outcomes, "rule:"+d.Rule)
		}
		// The workflow and step are those the (first) error is located in.
		wf, step := useLocate(doc.Bundle.Document, ve.Diagnostics[0].Path)
		if wf != "" {
			e["workflowId"] = wf
		}
		if step != "" {
			e["stepId"] = step
		}
		if chain := useChainInMessage(ve.Diagnostics[0].Message); chain != nil {
			e["path"] = chain
		}
	case errors.As(err, &nf):
		outcomes = append(outcomes, "kind:"+string(runner.KindNotFound))
	default:
		chain := useFailureChain(res)
		inner := useInnermost(err)
		if inner == nil {
			return []string{"other"}, e
		}
		outcomes = append(outcomes, "kind:"+string(inner.Kind))
		e["workflowId"] = inner.WorkflowID
		if inner.StepID != "" {
			e["stepId"] = inner.StepID
		}
		e["path"] = chain
	}
	return outcomes, e
}

// useFailureChain follows a failed result to where it failed: the
// prerequisite, nested run or transfer target whose failure made each
// result fail. It returns the workflow ids along the way (upstream's
// error.path).
func useFailureChain(r *engine.Result) []any {
	var chain []any
	for depth := 0; r != nil && depth < 64; depth++ {
		chain = append(chain, r.WorkflowID)
		var next *engine.Result
		for _, d := range r.Dependencies {
			if d.Error != nil {
				next = d
			}
		}
		if r.TransferredTo != nil && r.TransferredTo.Error != nil {
			next = r.TransferredTo
		}
		if r.Error != nil && r.Error.StepID != "" {
			for _, s := range r.Steps {
				if s.StepID == r.Error.StepID && s.Nested != nil && s.Nested.Error != nil {
					next = s.Nested
				}
			}
		}
		r = next
	}
	return chain
}

// useInnermost returns the innermost *runner.StepError err wraps: the
// failure where it happened (a nested run's, a prerequisite's), as
// upstream's thrown ExecutionError.
func useInnermost(err error) *runner.StepError {
	var inner *runner.StepError
	for depth := 0; err != nil && depth < 256; depth++ {
		var se *runner.StepError
		if !errors.As(err, &se) {
			break
		}
		inner = se
		err = se.Err
	}
	return inner
}

var chainInMessage = regexp.MustCompile(`[\w.$-]+(?: → [\w.$-]+)+`)

// useChainInMessage returns the chain of workflow ids a diagnostic names
// ("a → b → a"), or nil.
func useChainInMessage(msg string) []any {
	m := chainInMessage.FindString(msg)
	if m == "" {
		return nil
	}
	var out []any
	for _, id := range strings.Split(m, " → ") {
		out = append(out, id)
	}
	return out
}

var workflowStepPath = regexp.MustCompile(`^/workflows/(\d+)(?:/steps/(\d+))?`)

// useLocate names the workflow and step a diagnostic path is inside.
func useLocate(d *arazzo.Document, path string) (workflowID, stepID string) {
	m := workflowStepPath.FindStringSubmatch(path)
	if m == nil {
		return "", ""
	}
	var wi, si int
	fmt.Sscan(m[1], &wi)
	if wi >= len(d.Workflows) || d.Workflows[wi] == nil {
		return "", ""
	}
	w := d.Workflows[wi]
	if m[2] != "" {
		fmt.Sscan(m[2], &si)
		if si < len(w.Steps) && w.Steps[si] != nil {
			stepID = w.Steps[si].StepID
		}
	}
	return w.WorkflowID, stepID
}

func overlaps(a, b []string) bool {
	for _, x := range a {
		if contains(b, x) {
			return true
		}
	}
	return false
}

func toAnySlice(ms []map[string]any) []any {
	out := make([]any, len(ms))
	for i, m := range ms {
		out[i] = m
	}
	return out
}

// useBase is where the harness serves the corpus (useFiles). Upstream
// resolves the fixtures' relative server URLs ("/api/v3") against a
// context URL; loading the documents over http(s) is how this engine gets
// one (a relative server URL of a description read from a file needs an
// override, and overrides are keyed by source name, which the parent and
// child cross-document fixtures share).
const useBase = "http://usearazzo.test/"

// useFiles answers GET useBase+<path> with the corpus file at path. Step
// requests never reach it: the cases install a stub Sender.
type useFiles struct{ root string }

func (f useFiles) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Body != nil {
		req.Body.Close()
	}
	rel := strings.TrimPrefix(req.URL.Path, "/")
	if req.URL.Host != "usearazzo.test" || req.Method != http.MethodGet || !filepath.IsLocal(filepath.FromSlash(rel)) {
		return fileResponse(req, "", http.StatusNotFound), nil
	}
	return fileResponse(req, filepath.Join(f.root, filepath.FromSlash(rel)), 0), nil
}
