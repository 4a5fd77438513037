#pragma once
// Server-side printing: the meta.k8s.io/v1 Table columns and cells Kubernetes returns for each
// kind (`kubectl get` prints what the server says), e.g. pods NAME READY STATUS RESTARTS AGE and,
// at priority 1 (-o wide), IP NODE NOMINATED NODE READINESS GATES.

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include "api/json.h"

namespace mlkube::api {

// The columnDefinitions for a kind: [{"name","type","format","description","priority"}...];
// exactly one column has format "name" (the first, except for Event). Kinds without a printer
// get the apiserver's default convertor: Name and "Created At" (type "date", RFC 3339 cells).
Json TableColumns(std::string_view group, std::string_view kind);

// The cells of one row, in the order of TableColumns, priority-1 (wide) cells included as the
// apiserver always sends them. Never throws, whatever the object holds.
Json TableCells(std::string_view group, std::string_view kind, const Json& obj,
                std::chrono::system_clock::time_point now);

// Kubernetes' duration.HumanDuration as kubectl shows ages: "7s", "5m", "3h", "2d", "3y"...
std::string HumanDuration(std::chrono::seconds d);

}  // namespace mlkube::api
