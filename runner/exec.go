package runner

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/go-arazzo/arazzo/arazzo"
	"github.com/go-arazzo/arazzo/expression"
	"github.com/go-arazzo/arazzo/internal/keyorder"
	"github.com/go-arazzo/arazzo/openapi"
)

// session is one call of Run or RunAll: it owns the step budget and
// remembers finished workflows (for dependsOn and $workflows references).
type session struct {
	r   *Runner
	cfg runConfig
	// inputs are the inputs given per workflow id (RunAll), for
	// prerequisites that run through dependsOn.
	inputs   map[string]map[string]any
	mu       sync.Mutex
	steps    int
	finished map[string]*WorkflowResult // by bundleKey + "\x00" + workflowId
	inflight map[string]*depCall
	// memberOrder gives the written order of the members of the objects
	// in the given inputs and in the documents.
	memberOrder keyorder.Lookup
}

type depCall struct {
	done   chan struct{}
	result *WorkflowResult
}

func newSession(r *Runner, opts []RunOption) *session {
	s := &session{r: r, finished: map[string]*WorkflowResult{}, inflight: map[string]*depCall{}}
	for _, o := range opts {
		o(&s.cfg)
	}
	s.inputs = s.cfg.inputs
	s.memberOrder = keyorder.Chain(s.cfg.inputOrder, r.plan.memberOrder)
	return s
}

// inputsFor returns the inputs a dependsOn prerequisite runs with: those
// given for it by id (RunAll), else the dependent workflow's own inputs —
// prerequisites such as "get a token" usually need the same credentials.
func (s *session) inputsFor(dep *cworkflow, dependent map[string]any) map[string]any {
	if in, ok := s.inputs[dep.id]; ok && dep.bundleKey == s.r.plan.root.Document.Location {
		return in
	}
	return dependent
}

// calledInputs are the inputs of a workflow started by a workflowId step
// or a goto/retry action: the values the step or action passes, over those
// given for that workflow by id (RunAll, WithWorkflowInputs) — so an inputs
// file keyed by workflow id also feeds the workflows a run reaches.
func (s *session) calledInputs(cw *cworkflow, passed map[string]any) map[string]any {
	given, ok := s.inputs[cw.id]
	if !ok {
		return passed
	}
	in := make(map[string]any, len(given)+len(passed))
	for k, v := range given {
		in[k] = v
	}
	for k, v := range passed {
		in[k] = v
	}
	return in
}

func wfKey(bundleKey, id string) string { return bundleKey + "\x00" + id }

func (s *session) finishedWorkflow(bundleKey, id string) *WorkflowResult {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.finished[wfKey(bundleKey, id)]
}

func (s *session) record(cw *cworkflow, res *WorkflowResult) {
	s.mu.Lock()
	s.finished[wfKey(cw.bundleKey, cw.id)] = res
	s.mu.Unlock()
}

// takeStep charges one step execution to the budget.
func (s *session) takeStep() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.steps >= s.r.opts.MaxSteps {
		return false
	}
	s.steps++
	return true
}

// dependency runs a dependsOn prerequisite once per session; concurrent
// callers wait for the first.
func (s *session) dependency(ctx context.Context, cw *cworkflow, inputs map[string]any, depth int, chain []*cworkflow) *WorkflowResult {
	key := wfKey(cw.bundleKey, cw.id)
	s.mu.Lock()
	if res, ok := s.finished[key]; ok {
		s.mu.Unlock()
		return res
	}
	if c, ok := s.inflight[key]; ok {
		s.mu.Unlock()
		select {
		case <-c.done:
			return c.result
		case <-ctx.Done():
			return cancelledResult(cw, ctx.Err())
		}
	}
	c := &depCall{done: make(chan struct{})}
	s.inflight[key] = c
	s.mu.Unlock()
	path := "d:" + cw.id
	if cw.bundleKey != s.r.plan.root.Document.Location {
		path = "d:" + cw.bundleKey + "#" + cw.id
	}
	c.result = s.runWorkflow(ctx, cw, inputs, depth, chain, path, s.memberOrder)
	s.mu.Lock()
	delete(s.inflight, key)
	s.mu.Unlock()
	close(c.done)
	return c.result
}

func cancelledResult(cw *cworkflow, err error) *WorkflowResult {
	return &WorkflowResult{WorkflowID: cw.id, Status: StatusCancelled,
		Error: &StepError{WorkflowID: cw.id, Kind: KindCancelled, Message: "run cancelled: " + err.Error(), Err: err}}
}

// workflowRun is the state of one running workflow.
type workflowRun struct {
	sess  *session
	wf    *cworkflow
	depth int
	// path names this workflow run within the session, and seq counts the
	// exchanges and child runs it started: together they key the journal
	// (see Journal), so both must depend only on what the run did.
	path        string
	seq         int
	chain       []*cworkflow
	inputs      map[string]any
	stepOutputs map[string]map[string]any
	completed   map[string]bool
	result      *WorkflowResult
	steps       map[string]*StepResult
	// built records the member order of the objects this step attempt's
	// values built (reset at every attempt, so it stays small); outer gives
	// the order of objects that came from elsewhere: the caller's values
	// (inputs), the given inputs, the documents. order is memberOrder as a
	// func value, made once.
	built keyorder.Table
	outer keyorder.Lookup
	order keyorder.Lookup
	// last is the request of the last operation-step attempt, for reuse.
	last lastRequest
}

// newRun makes the run of cw with (prepared) inputs.
func (s *session) newRun(cw *cworkflow, inputs map[string]any, depth int, chain []*cworkflow, path string, outer keyorder.Lookup, res *WorkflowResult) *workflowRun {
	run := &workflowRun{sess: s, wf: cw, depth: depth, chain: chain, inputs: inputs, path: path,
		stepOutputs: make(map[string]map[string]any, len(cw.steps)),
		completed:   make(map[string]bool, len(cw.steps)),
		result:      res, steps: make(map[string]*StepResult, len(cw.steps)), outer: outer}
	run.order = run.memberOrder
	return run
}

// memberOrder is the written member order of an object the run may send.
func (run *workflowRun) memberOrder(m map[string]any) []string {
	if k := run.built.Keys(m); k != nil {
		return k
	}
	if run.outer != nil {
		return run.outer(m)
	}
	return nil
}

// runWorkflow runs cw with inputs at nesting depth; chain holds the
// workflows being run above it, for cycle detection; path names the run
// (see workflowRun); outer gives the member order of the inputs' objects.
func (s *session) runWorkflow(ctx context.Context, cw *cworkflow, inputs map[string]any, depth int, chain []*cworkflow, path string, outer keyorder.Lookup) *WorkflowResult {
	r := s.r
	start := r.opts.Clock.Now()
	res := &WorkflowResult{WorkflowID: cw.id, Started: start}
	finish := func(st Status, e *StepError) *WorkflowResult {
		res.Status = st
		if e != nil && res.Error == nil {
			res.Error = e
		}
		res.Duration = r.opts.Clock.Now().Sub(start)
		s.record(cw, res)
		if r.opts.Observer != nil {
			r.observe(WorkflowFinished{Result: res, Depth: depth})
		}
		return res
	}
	for _, up := range chain {
		if up == cw {
			return finish(StatusFailed, &StepError{WorkflowID: cw.id, Kind: KindNesting,
				Message: "workflow " + cw.id + " calls itself through " + chainString(chain, cw)})
		}
	}
	if depth > r.opts.MaxDepth {
		return finish(StatusFailed, &StepError{WorkflowID: cw.id, Kind: KindNesting,
			Message: fmt.Sprintf("workflow nesting deeper than %d (%s)", r.opts.MaxDepth, chainString(chain, cw)),
			Hint:    "raise the limit with the MaxDepth option if the nesting is intended"})
	}
	if cw.err != nil {
		return finish(StatusFailed, &StepError{WorkflowID: cw.id, Kind: KindDocument, Message: cw.err.Error(), Err: cw.err})
	}
	chain = append(chain[:len(chain):len(chain)], cw)
	if r.opts.Tracer != nil {
		var end func(*WorkflowResult)
		ctx, end = r.opts.Tracer.StartWorkflow(ctx, cw.id, depth)
		defer func() { end(res) }()
	}
	for _, dep := range cw.dependsOn {
		dr := s.dependency(ctx, dep, s.inputsFor(dep, inputs), depth+1, chain)
		res.Dependencies = append(res.Dependencies, dr)
		if dr.Status != StatusSucceeded {
			kind := KindDependency
			if dr.Status == StatusCancelled {
				kind = KindCancelled
			}
			msg := fmt.Sprintf("prerequisite workflow %s (dependsOn) %s", dep.id, dr.Status)
			if dr.Error != nil {
				msg += ": " + dr.Error.Error()
			}
			// Outputs are evaluated however a workflow ends; no step ran.
			res.Outputs = s.newRun(cw, inputs, depth, chain, path, outer, res).workflowOutputs()
			return finish(dr.Status, &StepError{WorkflowID: cw.id, Kind: kind, Message: msg, Err: errOf(dr)})
		}
	}
	in, err := cw.prepareInputs(inputs)
	res.Inputs = in
	if err != nil {
		res.Outputs = s.newRun(cw, inputs, depth, chain, path, outer, res).workflowOutputs()
		return finish(StatusFailed, &StepError{WorkflowID: cw.id, Kind: KindInputs, Message: err.Error(), Err: err})
	}
	if r.opts.Observer != nil {
		r.observe(WorkflowStarted{WorkflowID: cw.id, Inputs: in, Depth: depth, Time: start})
	}

	run := s.newRun(cw, in, depth, chain, path, outer, res)
	status, serr := run.loop(ctx)
	res.Outputs = run.workflowOutputs()
	if res.TransferredTo != nil {
		// A goto to another workflow: this workflow ends with its status.
		status = res.TransferredTo.Status
		if status != StatusSucceeded && serr == nil {
			serr = &StepError{WorkflowID: cw.id, Kind: KindWorkflow,
				Message: "workflow " + res.TransferredTo.WorkflowID + " (goto target) " + string(status), Err: errOf(res.TransferredTo)}
		}
	}
	return finish(status, serr)
}

func errOf(res *WorkflowResult) error {
	if res == nil || res.Error == nil {
		return nil
	}
	return res.Error
}

func chainString(chain []*cworkflow, last *cworkflow) string {
	ids := make([]string, 0, len(chain)+1)
	for _, c := range chain {
		ids = append(ids, c.id)
	}
	return strings.Join(append(ids, last.id), " → ")
}

// decision is what happens after a step execution.
type decision struct {
	next   int // index of the next step; len(steps) ends the workflow normally
	end    bool
	status Status
	err    *StepError
}

// loop runs the steps from the first, following actions, and returns the
// workflow's status.
func (run *workflowRun) loop(ctx context.Context) (Status, *StepError) {
	steps := run.wf.steps
	i := 0
	for i < len(steps) {
		if err := ctx.Err(); err != nil {
			return StatusCancelled, run.cancelled(steps[i], err)
		}
		d := run.execStep(ctx, steps[i])
		if d.end {
			return d.status, d.err
		}
		i = d.next
	}
	return StatusSucceeded, nil
}

func (run *workflowRun) cancelled(st *cstep, err error) *StepError {
	kind := KindCancelled
	msg := "run cancelled"
	if errors.Is(err, context.DeadlineExceeded) {
		kind, msg = KindTimeout, "run timed out"
	}
	return &StepError{WorkflowID: run.wf.id, StepID: st.id, Kind: kind, Message: msg + " before or during step " + st.id, Err: err}
}

func (run *workflowRun) stepResult(st *cstep) *StepResult {
	sr, ok := run.steps[st.id]
	if !ok {
		sr = &StepResult{StepID: st.id}
		run.steps[st.id] = sr
		run.result.Steps = append(run.result.Steps, sr)
	}
	return sr
}

// attemptResult is what one attempt of a step produced.
type attemptResult struct {
	sc       *scope
	passed   bool
	outcomes []expression.Outcome
	err      error     // transport, request-building or expression error
	kind     ErrorKind // classification of err
	reqLine  string
}

// execStep runs one step execution: attempts, retries and the choice of
// the action that decides where the workflow goes next.
func (run *workflowRun) execStep(ctx context.Context, st *cstep) decision {
	r := run.sess.r
	sr := run.stepResult(st)
	sr.Executions++
	start := r.opts.Clock.Now()
	defer func() { sr.Duration += r.opts.Clock.Now().Sub(start) }()

	if err := run.checkStepDependsOn(st); err != nil {
		sr.Status = StatusFailed
		sr.Error = err.Message
		return run.fail(err)
	}
	var retries map[*caction]int
	var retryLimit int
	attempt := 0
	for {
		if !run.sess.takeStep() {
			sr.Status = StatusFailed
			e := &StepError{WorkflowID: run.wf.id, StepID: st.id, Kind: KindStepBudget,
				Message: fmt.Sprintf("step budget of %d step executions used up (a goto or retry loop that never exits?)", r.opts.MaxSteps),
				Hint:    "raise it with --max-steps, or give the loop an exit criterion"}
			sr.Error = e.Message
			return run.fail(e)
		}
		attempt++
		if r.opts.Observer != nil {
			r.observe(StepStarted{WorkflowID: run.wf.id, StepID: st.id, Attempt: attempt, RetryLimit: retryLimit, Depth: run.depth})
		}
		ar := run.attempt(ctx, st, attempt)
		sr.Attempts++
		sr.Request = ar.reqLine
		sr.Criteria = ar.outcomes
		sr.StatusCode = 0
		if ar.sc.resp != nil {
			sr.StatusCode = ar.sc.resp.StatusCode
			sr.TransportRetries += ar.sc.resp.TransportRetries
		} else {
			var te *TransportError
			if errors.As(ar.err, &te) {
				sr.TransportRetries += te.Retries
			}
		}
		sr.Error = ""
		if ar.err != nil {
			sr.Error = ar.err.Error()
		}
		outs := run.stepOutputsOf(st, ar.sc)
		run.stepOutputs[st.id] = outs
		sr.Outputs = outs

		if cerr := ctx.Err(); cerr != nil {
			sr.Status = StatusCancelled
			if r.opts.Observer != nil {
				r.observe(StepFinished{WorkflowID: run.wf.id, Result: sr, Depth: run.depth})
			}
			return decision{end: true, status: StatusCancelled, err: run.cancelled(st, cerr)}
		}

		if ar.kind == KindInDoubt || ar.kind == KindJournal {
			// No action may handle these: a retry would send the request
			// whose fate is unknown, or send without durability.
			sr.Status = StatusFailed
			if r.opts.Observer != nil {
				r.observe(StepFinished{WorkflowID: run.wf.id, Result: sr, Depth: run.depth})
			}
			e := run.stepError(st, ar, "")
			if ar.kind == KindInDoubt {
				e.Hint = "check on the server whether this request took effect; if it did not, resume with --resend-in-doubt to send it again"
			}
			return run.fail(e)
		}
		if ar.passed {
			sr.Status = StatusSucceeded
			run.completed[st.id] = true
			a := firstMatching(st.onSuccess, ar.sc, nil)
			return run.follow(ctx, st, sr, a, ar)
		}

		// Failure: the first matching failure action decides; a retry
		// action whose limit is used up yields to the actions after it.
		sr.Status = StatusFailed
		exhausted := false
		a := firstMatching(st.onFailure, ar.sc, func(a *caction) bool {
			if a.typ != arazzo.ActionRetry {
				return true
			}
			if retries[a] < a.retryLimit {
				return true
			}
			exhausted = true
			return false
		})
		if a == nil || a.typ != arazzo.ActionRetry {
			if a == nil && exhausted {
				ar.kind = KindRetryLimit
			}
			return run.follow(ctx, st, sr, a, ar)
		}
		if retries == nil {
			retries = map[*caction]int{}
		}
		retries[a]++
		retryLimit = a.retryLimit
		sr.Action = "retry"
		if r.opts.Observer != nil {
			r.observe(ActionTaken{WorkflowID: run.wf.id, StepID: st.id, Name: a.name, Type: arazzo.ActionRetry, Target: a.targetID(), Depth: run.depth})
		}
		if r.opts.Observer != nil {
			r.observe(StepFinished{WorkflowID: run.wf.id, Result: sr, Depth: run.depth})
		}
		wait, reason := a.retryDelay(ar.sc.resp, r.opts.Clock.Now(), r.opts.MaxRetryAfter)
		if wait > 0 {
			var jerr error
			if wait, jerr = run.sess.waitFor(run.key(run.seq)+"~wait", run, st.id, wait); jerr != nil {
				sr.Status = StatusFailed
				return run.fail(&StepError{WorkflowID: run.wf.id, StepID: st.id, Kind: KindJournal, Message: jerr.Error(), Err: jerr})
			}
		}
		if wait > 0 {
			if r.opts.Observer != nil {
				r.observe(Waiting{WorkflowID: run.wf.id, StepID: st.id, Duration: wait, Reason: reason, Attempt: attempt + 1, Limit: a.retryLimit, Depth: run.depth})
			}
			if err := r.opts.Clock.Sleep(ctx, wait); err != nil {
				sr.Status = StatusCancelled
				return decision{end: true, status: StatusCancelled, err: run.cancelled(st, err)}
			}
		}
		if d, stop := run.runRetryTarget(ctx, st, a); stop {
			return d
		}
	}
}

// firstMatching returns the first action whose criteria all pass and that
// accept allows.
func firstMatching(actions []*caction, sc *scope, accept func(*caction) bool) *caction {
	for _, a := range actions {
		if !a.matches(sc) {
			continue
		}
		if accept != nil && !accept(a) {
			continue
		}
		return a
	}
	return nil
}

// follow applies the chosen action (nil: the default) after a final attempt.
func (run *workflowRun) follow(ctx context.Context, st *cstep, sr *StepResult, a *caction, ar *attemptResult) decision {
	r := run.sess.r
	if r.opts.Observer != nil {
		defer r.observe(StepFinished{WorkflowID: run.wf.id, Result: sr, Depth: run.depth})
	}
	idx := run.wf.index[st.id]
	if a == nil {
		if ar.passed {
			sr.Action = "next"
			if r.opts.Observer != nil {
				r.observe(ActionTaken{WorkflowID: run.wf.id, StepID: st.id, Type: "next", Depth: run.depth})
			}
			return decision{next: idx + 1}
		}
		sr.Action = "fail"
		if r.opts.Observer != nil {
			r.observe(ActionTaken{WorkflowID: run.wf.id, StepID: st.id, Type: "fail", Depth: run.depth})
		}
		return run.fail(run.stepError(st, ar, ""))
	}
	if r.opts.Observer != nil {
		r.observe(ActionTaken{WorkflowID: run.wf.id, StepID: st.id, Name: a.name, Type: a.typ, Target: a.targetID(), Depth: run.depth})
	}
	switch a.typ {
	case arazzo.ActionEnd:
		sr.Action = "end"
		if ar.passed {
			return decision{end: true, status: StatusSucceeded}
		}
		e := run.stepError(st, ar, "")
		e.Kind = KindEnd
		e.Hint = "" // the document chose to end here: nothing to suggest
		e.Message = fmt.Sprintf("failure action %q ended the workflow: %s", a.name, e.Message)
		return run.fail(e)
	case arazzo.ActionGoto:
		if a.target != nil {
			sr.Action = "goto workflow " + a.target.id
			child := run.runTarget(ctx, st, a, ar.sc, true)
			run.result.TransferredTo = child
			return decision{end: true, status: child.Status}
		}
		sr.Action = "goto " + a.stepID
		return decision{next: a.stepIdx}
	}
	// A retry reaching here is a bug in the caller; fail loudly but safely.
	return run.fail(&StepError{WorkflowID: run.wf.id, StepID: st.id, Kind: KindUnsupported, Message: "unexpected action type " + a.typ})
}

func (run *workflowRun) fail(e *StepError) decision {
	return decision{end: true, status: StatusFailed, err: e}
}

// stepError describes a failed attempt.
func (run *workflowRun) stepError(st *cstep, ar *attemptResult, msg string) *StepError {
	e := &StepError{WorkflowID: run.wf.id, StepID: st.id, Kind: ar.kind, Request: ar.reqLine, Err: ar.err}
	if ar.sc.resp != nil {
		e.StatusCode = ar.sc.resp.StatusCode
	}
	for _, o := range ar.outcomes {
		if !o.Passed {
			e.Criteria = append(e.Criteria, o)
		}
	}
	switch {
	case msg != "":
		e.Message = msg
	case ar.err != nil:
		e.Message = ar.err.Error()
	case len(e.Criteria) > 0:
		parts := make([]string, len(e.Criteria))
		for i, o := range e.Criteria {
			parts[i] = o.Explanation
			if parts[i] == "" {
				parts[i] = o.Condition
			}
		}
		e.Message = "success criteria not met: " + strings.Join(parts, "; ")
	case e.StatusCode != 0:
		e.Message = fmt.Sprintf("HTTP %d is not a success (the step has no successCriteria, so 2xx is required)", e.StatusCode)
	default:
		e.Message = "step failed"
	}
	if e.Kind == "" {
		e.Kind = KindCriteria
	}
	if e.Kind == KindRetryLimit {
		e.Message = "retries exhausted: " + e.Message
	}
	if e.Kind == KindCriteria && st.pollLike && !st.hasRetry && len(st.onFailure) == 0 {
		e.Hint = "this step checks a status that may only be reached later, but has no retry action; add onFailure: [{name: retry, type: retry, retryAfter: 5, retryLimit: 60}]"
	}
	return e
}

// runRetryTarget runs a retry action's stepId or workflowId before the
// step is retried. stop is true when the workflow must end.
func (run *workflowRun) runRetryTarget(ctx context.Context, st *cstep, a *caction) (decision, bool) {
	switch {
	case a.target != nil:
		child := run.runTarget(ctx, st, a, nil, false)
		if child.Status != StatusSucceeded {
			return run.fail(&StepError{WorkflowID: run.wf.id, StepID: st.id, Kind: KindWorkflow,
				Message: fmt.Sprintf("workflow %s, run before retrying %s, %s", a.target.id, st.id, child.Status), Err: errOf(child)}), true
		}
	case a.stepIdx >= 0:
		other := run.wf.steps[a.stepIdx]
		d := run.execStep(ctx, other)
		if d.end {
			return d, true
		}
	}
	return decision{}, false
}

// runTarget runs the workflow an action names, with the action's 1.1
// parameters as inputs. A goto (transfer) is one-way: this workflow ends
// with the target, so the target takes its place in the chain of running
// workflows and at its depth, and workflows that transfer to each other
// loop (bounded by the step budget) instead of counting as recursion. A
// retry's workflow runs nested and returns.
func (run *workflowRun) runTarget(ctx context.Context, st *cstep, a *caction, sc *scope, transfer bool) *WorkflowResult {
	if sc == nil {
		sc = &scope{run: run}
	}
	inputs, err := evalInputs(a.params, sc)
	if err != nil {
		return &WorkflowResult{WorkflowID: a.target.id, Status: StatusFailed,
			Error: &StepError{WorkflowID: run.wf.id, StepID: st.id, Kind: KindExpression, Message: err.Error(), Err: err}}
	}
	depth, chain := run.depth+1, run.chain
	if transfer {
		depth, chain = run.depth, chain[:len(chain)-1]
	}
	return run.sess.runWorkflow(ctx, a.target, run.sess.calledInputs(a.target, inputs), depth, chain, run.childPath(a.target), run.order)
}

func evalInputs(params []cparam, sc *scope) (map[string]any, error) {
	if len(params) == 0 {
		return nil, nil
	}
	in := make(map[string]any, len(params))
	for _, p := range params {
		v, err := p.value.Eval(sc)
		if err != nil {
			return nil, fmt.Errorf("parameter %s: %w", p.name, err)
		}
		in[p.name] = v
	}
	return in, nil
}

// checkStepDependsOn enforces 1.1 step-level dependsOn: every named step
// must have completed; dependsOn never runs a step by itself.
func (run *workflowRun) checkStepDependsOn(st *cstep) *StepError {
	for _, dep := range st.dependsOn {
		done := false
		if dep.workflow == nil || dep.workflow == run.wf {
			done = run.completed[dep.stepID]
		} else if res := run.sess.finishedWorkflow(dep.workflow.bundleKey, dep.workflow.id); res != nil {
			for _, s := range res.Steps {
				if s.StepID == dep.stepID && s.Status == StatusSucceeded {
					done = true
				}
			}
		}
		if !done {
			return &StepError{WorkflowID: run.wf.id, StepID: st.id, Kind: KindDependency,
				Message: fmt.Sprintf("step %s depends on %s, which has not completed", st.id, dep.text),
				Hint:    "order the steps so that the dependency runs first; dependsOn does not run steps by itself"}
		}
	}
	return nil
}

// attempt sends one request (or runs the nested workflow) for st and
// evaluates its success criteria.
func (run *workflowRun) attempt(ctx context.Context, st *cstep, n int) *attemptResult {
	r := run.sess.r
	run.built.Reset() // the objects of earlier attempts are not sent again
	sc := &scope{run: run}
	ar := &attemptResult{sc: sc}
	outer := ctx
	replayed := false
	if st.timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, st.timeout)
		defer cancel()
	}
	var endSpan func(*StepAttempt)
	if r.opts.Tracer != nil {
		ctx, endSpan = r.opts.Tracer.StartAttempt(ctx, run.wf.id, st.id, n)
	}
	start := r.opts.Clock.Now()
	switch st.kind {
	case stepWorkflow:
		inputs, err := evalInputs(st.params, sc)
		if err != nil {
			ar.err, ar.kind = err, KindExpression
			break
		}
		child := run.sess.runWorkflow(ctx, st.target, run.sess.calledInputs(st.target, inputs), run.depth+1, run.chain, run.childPath(st.target), run.order)
		run.stepResult(st).Nested = child
		sc.nested = child.Outputs
		if sc.nested == nil {
			sc.nested = map[string]any{}
		}
		ar.reqLine = "workflow " + st.target.id
		if child.Status != StatusSucceeded {
			ar.err, ar.kind = &StepError{WorkflowID: child.WorkflowID, Kind: KindWorkflow, Message: "nested workflow " + string(child.Status), Err: errOf(child)}, KindWorkflow
			if child.Error != nil {
				ar.err = child.Error
			}
			break
		}
		ar.passed = run.evalCriteria(st, ar, true)
	case stepUnsupported:
		ar.err, ar.kind = errors.New(st.unsupported), KindUnsupported
	default:
		req, err := run.buildRequest(ctx, st, sc)
		if err != nil {
			ar.err, ar.kind = err, KindRequest
			var he *hostError
			if errors.As(err, &he) {
				ar.kind = KindHost
			}
			break
		}
		sc.req = req
		ar.reqLine = req.Method + " " + req.URL
		resp, err, fromJournal := run.sess.exchange(ctx, outer, run, run.nextSeq(), st.id, n, req)
		replayed = fromJournal
		if err != nil && run.sess.cfg.journal != nil {
			if kind := journalErrorKind(err); kind != "" {
				ar.err, ar.kind = err, kind
				break
			}
		}
		if err != nil {
			ar.err, ar.kind = err, KindTransport
			if errors.Is(ctx.Err(), context.DeadlineExceeded) || fromJournal && errors.Is(err, context.DeadlineExceeded) {
				ar.kind = KindTimeout
				if st.timeout > 0 {
					ar.err = fmt.Errorf("step timeout of %s exceeded: %w", st.timeout, err)
				}
			}
			// Failure actions still apply, with $statusCode null.
			run.evalCriteria(st, ar, false)
			break
		}
		sc.resp = resp
		ar.passed = run.evalCriteria(st, ar, resp.StatusCode >= 200 && resp.StatusCode < 300)
	}
	ev := StepAttempt{WorkflowID: run.wf.id, StepID: st.id, Attempt: n, Request: sc.req, Response: sc.resp,
		Err: ar.err, Criteria: ar.outcomes, Passed: ar.passed, Duration: r.opts.Clock.Now().Sub(start), Depth: run.depth, Replayed: replayed}
	if replayed && sc.resp != nil {
		ev.Duration = sc.resp.Duration
	}
	if endSpan != nil {
		endSpan(&ev)
	}
	if r.opts.Observer != nil {
		r.observe(ev)
	}
	return ar
}

// evalCriteria evaluates the success criteria; with none, def decides
// (2xx for operation steps).
func (run *workflowRun) evalCriteria(st *cstep, ar *attemptResult, def bool) bool {
	if len(st.criteria) == 0 {
		return def && ar.err == nil
	}
	ar.outcomes = make([]expression.Outcome, len(st.criteria))
	passed := ar.err == nil
	for i, c := range st.criteria {
		ar.outcomes[i] = c.Evaluate(ar.sc)
		if !ar.outcomes[i].Passed {
			passed = false
		}
	}
	return passed
}

// stepOutputsOf evaluates a step's outputs. Outputs are evaluated after
// every attempt, failed ones included, so that reports and failure
// handling can use them; a value that cannot be evaluated is null.
func (run *workflowRun) stepOutputsOf(st *cstep, sc *scope) map[string]any {
	if len(st.outputs) == 0 {
		return nil
	}
	outs := make(map[string]any, len(st.outputs))
	for _, o := range st.outputs {
		v, err := o.value.Eval(sc)
		if err != nil {
			v = nil
		}
		outs[o.name] = v
	}
	return outs
}

// workflowOutputs evaluates the workflow's outputs, in document order, so
// that later outputs can read earlier ones through $outputs.
func (run *workflowRun) workflowOutputs() map[string]any {
	outs := make(map[string]any, len(run.wf.outputs))
	sc := &scope{run: run, outputs: outs}
	for _, o := range run.wf.outputs {
		v, err := o.value.Eval(sc)
		if err != nil {
			v = nil
		}
		outs[o.name] = v
	}
	return outs
}

// hostError is a request to a host the run was not told about.
type hostError struct{ host string }

func (e *hostError) Error() string {
	return "refused to send a request to host " + e.host + ": it is not the server of any source description or override; allow it with --allow-host " + e.host
}

// buildRequest evaluates parameters and body and builds the request.
func (run *workflowRun) buildRequest(ctx context.Context, st *cstep, sc *scope) (*Request, error) {
	params := make([]openapi.ParamValue, 0, len(st.params))
	for _, p := range st.params {
		v, err := p.value.Eval(sc)
		if err != nil {
			return nil, fmt.Errorf("parameter %s (in %s): %w", p.name, p.in, err)
		}
		params = append(params, openapi.ParamValue{Name: p.name, In: p.in, Value: v, Order: openapi.MemberOrder(run.order)})
	}
	sc.params = params
	var body *openapi.Body
	if st.body != nil {
		v, err := st.body.eval(sc)
		if err != nil {
			return nil, fmt.Errorf("request body: %w", err)
		}
		sc.reqBody, sc.hasReqBody = v, true
		body = &openapi.Body{ContentType: st.body.contentType, Value: v, Order: openapi.MemberOrder(run.order)}
	}
	var parts openapi.Parts // plain data: no *http.Request to build and unpack
	var base string
	var err error
	switch st.kind {
	case stepXOperation:
		target, terr := st.xURL.Eval(sc)
		if terr != nil {
			return nil, fmt.Errorf("x-operation url: %w", terr)
		}
		u, uerr := run.sess.r.resolveXURL(st, expression.Stringify(target))
		if uerr != nil {
			return nil, uerr
		}
		parts, err = openapi.BuildRawRequest(st.xMethod, u, params, body)
	default:
		var berr error
		if base, berr = run.sess.r.operationServerURL(st.source, st.op); berr != nil {
			return nil, berr
		}
		if req := run.last.reuse(st, base, params, body); req != nil {
			return req, nil
		}
		parts, err = openapi.BuildRequest(st.op, base, params, body)
	}
	if err != nil {
		return nil, err
	}
	req := &Request{Method: parts.Method, URL: parts.URL, Header: parts.Header, Body: parts.Body}
	run.sess.r.confine(st, req) // credentials only to the source's host
	run.last.keep(st, base, params, body, req)
	return req, nil
}

// lastRequest is the request built for the last attempt of an operation
// step. A retried step (a poll) usually evaluates the same parameters again:
// building the same request again was a fifth of a poll attempt's work.
type lastRequest struct {
	st     *cstep
	base   string
	params []openapi.ParamValue
	req    *Request
}

// reuse returns a copy of the last request when st is the step it was built
// for, with the same server and parameter values that are all scalars, and
// no body; else nil. The copy shares the header map and body, which nothing
// changes after building (confine only strips credentials from x-operation
// requests, which are never reused).
func (l *lastRequest) reuse(st *cstep, base string, params []openapi.ParamValue, body *openapi.Body) *Request {
	if l.st != st || body != nil || base != l.base || len(params) != len(l.params) {
		return nil
	}
	for i := range params {
		if !sameScalar(params[i].Value, l.params[i].Value) {
			return nil
		}
	}
	req := *l.req
	return &req
}

// keep remembers req as built for st, when reuse could apply to it.
func (l *lastRequest) keep(st *cstep, base string, params []openapi.ParamValue, body *openapi.Body, req *Request) {
	*l = lastRequest{}
	if body != nil || st.kind != stepOperation {
		return
	}
	for _, p := range params {
		if !isScalar(p.Value) {
			return
		}
	}
	*l = lastRequest{st: st, base: base, params: params, req: req}
}

// isScalar reports whether v is a string, number, boolean or nil.
func isScalar(v any) bool {
	switch v.(type) {
	case nil, string, bool, float64, int64, int:
		return true
	}
	return false
}

// sameScalar reports whether a and b are equal strings, numbers, booleans
// or both nil; containers are never the same (they may have changed).
func sameScalar(a, b any) bool { return isScalar(a) && a == b }

// retryDelay is how long to wait before retrying: the response's
// Retry-After header when present (capped), else the action's retryAfter.
func (a *caction) retryDelay(resp *Response, now time.Time, max time.Duration) (time.Duration, string) {
	if resp != nil {
		if ra := resp.Header.Get("Retry-After"); ra != "" {
			if d, ok := parseRetryAfter(ra, now); ok {
				if max > 0 && d > max {
					d = max
				}
				return d, "Retry-After header"
			}
		}
	}
	return time.Duration(a.retryAfter * float64(time.Second)), "retryAfter"
}

func (a *caction) matches(sc *scope) bool {
	for _, c := range a.criteria {
		if !c.Passes(sc) { // verdict only: no explanation to build
			return false
		}
	}
	return true
}

func (a *caction) targetID() string {
	switch {
	case a.target != nil:
		return a.target.id
	case a.stepID != "":
		return a.stepID
	}
	return ""
}

// eval evaluates a request body: the payload, then the replacements.
func (b *cbody) eval(sc *scope) (any, error) {
	var v any
	if b.payload != nil {
		var err error
		if v, err = b.payload.Eval(sc); err != nil {
			return nil, err
		}
	}
	for _, rp := range b.replacements {
		val, err := rp.value.Eval(sc)
		if err != nil {
			return nil, fmt.Errorf("replacement %s: %w", rp.target, err)
		}
		if v, err = applyReplacement(v, rp, val, sc.run.keepOrder); err != nil {
			return nil, err
		}
	}
	return v, nil
}

// nextSeq numbers the next exchange or child run of this workflow run.
func (run *workflowRun) nextSeq() int {
	run.seq++
	return run.seq
}

// key is the journal key of this run's exchange number seq.
func (run *workflowRun) key(seq int) string { return run.path + "#" + strconv.Itoa(seq) }

// childPath names a workflow this run starts (nested step, goto or retry
// target).
func (run *workflowRun) childPath(cw *cworkflow) string {
	return run.key(run.nextSeq()) + ">" + cw.id
}
