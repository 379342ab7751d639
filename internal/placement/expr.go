package placement

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
)

// ErrInvalidRequest is wrapped by every error NewRequest returns: the create
// request cannot be placed as written, so the API should answer 400.
var ErrInvalidRequest = errors.New("invalid request")

// ErrInvalidExpression is wrapped by the errors NewRequest returns for a
// malformed constraint or affinity expression. Such errors also wrap
// ErrInvalidRequest.
var ErrInvalidExpression = errors.New("invalid expression")

// requestError is a NewRequest failure. It unwraps to its kind and to
// ErrInvalidRequest, so one errors.Is check maps every such error to 400.
type requestError struct {
	kind error
	msg  string
}

func (e *requestError) Error() string { return e.msg }

func (e *requestError) Unwrap() []error {
	if e.kind == ErrInvalidRequest {
		return []error{ErrInvalidRequest}
	}
	return []error{e.kind, ErrInvalidRequest}
}

func invalidExpression(text, why string) error {
	return &requestError{kind: ErrInvalidExpression, msg: fmt.Sprintf("invalid expression %q: %s", text, why)}
}

// expr is one parsed constraint or affinity expression (grammar in doc.go).
// It is immutable once parsed and safe for concurrent use.
type expr struct {
	text   string // canonical form, e.g. "node==node-1" or "image==~redis"; the reason when unmet
	key    string
	lkey   string // key in lower case, to recognise the keywords node, container and image
	negate bool   // != rather than ==
	soft   bool   // ~: dropped when no node satisfies it
	value  string
	re     *regexp.Regexp // nil when value is matched literally
}

// parseExpr parses "key op value". It never panics; every refusal says why.
func parseExpr(s string) (expr, error) {
	op := operatorIndex(s)
	if op < 0 {
		return expr{}, errors.New("missing operator (want ==, !=, ==~ or !=~)")
	}
	var e expr
	e.key = strings.TrimSpace(s[:op])
	if err := checkKey(e.key); err != nil {
		return expr{}, err
	}
	e.lkey = strings.ToLower(e.key)
	e.negate = s[op] == '!'
	rest := s[op+2:]
	if strings.HasPrefix(rest, "~") {
		e.soft = true
		rest = rest[1:]
	}
	e.value = strings.TrimSpace(rest)
	if e.value == "" {
		return expr{}, errors.New("empty value")
	}
	if strings.ContainsAny(e.value, "\x00\n\r") {
		return expr{}, errors.New("value contains a control character")
	}
	switch {
	case len(e.value) >= 2 && e.value[0] == '/' && e.value[len(e.value)-1] == '/':
		pattern := e.value[1 : len(e.value)-1]
		if pattern == "" {
			return expr{}, errors.New("empty regular expression")
		}
		re, err := regexp.Compile(pattern)
		if err != nil {
			return expr{}, fmt.Errorf("bad regular expression: %v", err)
		}
		e.re = re
	case strings.Contains(e.value, "*"):
		e.re = regexp.MustCompile(globPattern(e.value))
	}
	op2 := "=="
	if e.negate {
		op2 = "!="
	}
	if e.soft {
		op2 += "~"
	}
	e.text = e.key + op2 + e.value
	return e, nil
}

// operatorIndex finds the first "==" or "!=". Keys cannot hold '=' or '!', so
// the first one is the operator even when the value holds another.
func operatorIndex(s string) int {
	for i := 0; i+1 < len(s); i++ {
		if s[i+1] == '=' && (s[i] == '=' || s[i] == '!') {
			return i
		}
	}
	return -1
}

func checkKey(key string) error {
	if key == "" {
		return errors.New("empty key")
	}
	for i := 0; i < len(key); i++ {
		c := key[i]
		letter := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_'
		if i == 0 && !letter {
			return fmt.Errorf("key %q must start with a letter or underscore", key)
		}
		if !letter && !(c >= '0' && c <= '9') && c != '.' && c != '-' && c != '/' {
			return fmt.Errorf("key %q holds %q (allowed: letters, digits, _ . - /)", key, c)
		}
	}
	return nil
}

// globPattern anchors a glob: '*' matches any run of characters and every
// other character stands for itself.
func globPattern(glob string) string {
	parts := strings.Split(glob, "*")
	for i, p := range parts {
		parts[i] = regexp.QuoteMeta(p)
	}
	return "^" + strings.Join(parts, ".*") + "$"
}

// matches reports whether one candidate string matches the value, ignoring
// the operator. A literal value matches exactly; a glob matches the whole
// string; a /regexp/ matches anywhere unless it anchors itself.
func (e *expr) matches(s string) bool {
	if e.re == nil {
		return s == e.value
	}
	return e.re.MatchString(s)
}

// holds turns "some candidate matched" into the expression's verdict: == holds
// when one did, != when none did.
func (e *expr) holds(found bool) bool { return found != e.negate }

func withoutSoft(exprs []expr) []expr {
	var hard []expr
	for _, e := range exprs {
		if !e.soft {
			hard = append(hard, e)
		}
	}
	return hard
}

func hasSoft(exprs []expr) bool {
	for i := range exprs {
		if exprs[i].soft {
			return true
		}
	}
	return false
}

func exprTexts(exprs []expr) []string {
	if len(exprs) == 0 {
		return nil
	}
	out := make([]string, len(exprs))
	for i := range exprs {
		out[i] = exprs[i].text
	}
	return out
}
