package znode

import "github.com/paddock-zk/paddock/zk"

func newErr(c zk.Code, path string) *zk.Error { return &zk.Error{Code: c, Path: path} }
