package store

import (
	"bufio"
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
)

// Discovery is a parsed discovery URL: either an etcd cluster (Endpoints and
// Prefix), or a static list of engine addresses (Nodes).
type Discovery struct {
	Scheme    string // etcd, nodes or file
	Endpoints []string
	Prefix    string
	Nodes     []string
}

// ParseDiscovery reads the discovery forms classic Swarm accepts:
// etcd://h1:p1,h2:p2/path, nodes://a:p,b:p (or the bare list), and
// file://path (one address or range per line). Static entries may hold ranges,
// as in 10.0.0.[10:200]:2375.
func ParseDiscovery(raw string) (*Discovery, error) {
	scheme, rest, found := strings.Cut(raw, "://")
	if !found {
		scheme, rest = "nodes", raw
	}
	switch scheme {
	case "etcd":
		hosts, path, _ := strings.Cut(rest, "/")
		if hosts == "" {
			return nil, fmt.Errorf("discovery %q: no etcd address", raw)
		}
		d := &Discovery{Scheme: scheme, Prefix: "/" + strings.Trim(path, "/")}
		if d.Prefix == "/" {
			d.Prefix = DefaultPrefix
		}
		for _, h := range strings.Split(hosts, ",") {
			d.Endpoints = append(d.Endpoints, "http://"+h)
		}
		return d, nil
	case "nodes":
		nodes, err := expandAll(strings.Split(rest, ","))
		if err != nil {
			return nil, fmt.Errorf("discovery %q: %w", raw, err)
		}
		return &Discovery{Scheme: scheme, Nodes: nodes}, nil
	case "file":
		lines, err := readLines(rest)
		if err != nil {
			return nil, fmt.Errorf("discovery %q: %w", raw, err)
		}
		nodes, err := expandAll(lines)
		if err != nil {
			return nil, fmt.Errorf("discovery %q: %w", raw, err)
		}
		return &Discovery{Scheme: scheme, Nodes: nodes}, nil
	default:
		return nil, fmt.Errorf("discovery %q: unsupported scheme %q (etcd://, nodes://, file://)", raw, scheme)
	}
}

func readLines(path string) ([]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var lines []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line != "" && !strings.HasPrefix(line, "#") {
			lines = append(lines, line)
		}
	}
	return lines, sc.Err()
}

func expandAll(entries []string) ([]string, error) {
	var out []string
	for _, e := range entries {
		e = strings.TrimSpace(e)
		if e == "" {
			continue
		}
		expanded, err := expandRange(e)
		if err != nil {
			return nil, err
		}
		for _, addr := range expanded {
			if _, _, err := net.SplitHostPort(addr); err != nil {
				return nil, fmt.Errorf("node %q: want host:port", addr)
			}
		}
		out = append(out, expanded...)
	}
	if len(out) == 0 {
		return nil, errors.New("no nodes listed")
	}
	return out, nil
}

// expandRange expands one [from:to] range anywhere in the entry.
func expandRange(entry string) ([]string, error) {
	open := strings.IndexByte(entry, '[')
	if open < 0 {
		return []string{entry}, nil
	}
	end := strings.IndexByte(entry[open:], ']')
	if end < 0 {
		return nil, fmt.Errorf("node %q: unclosed range", entry)
	}
	end += open
	fromS, toS, ok := strings.Cut(entry[open+1:end], ":")
	from, err1 := strconv.Atoi(fromS)
	to, err2 := strconv.Atoi(toS)
	if !ok || err1 != nil || err2 != nil || from > to {
		return nil, fmt.Errorf("node %q: range must read [from:to]", entry)
	}
	out := make([]string, 0, to-from+1)
	for i := from; i <= to; i++ {
		out = append(out, entry[:open]+strconv.Itoa(i)+entry[end+1:])
	}
	return out, nil
}
