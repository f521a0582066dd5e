// The apiserver's OpenAPI v3 document for a namespaced CRD, with the CRD's names as
// placeholders (@GROUP@, @VERSION@, @KIND@, ...). Generated at build time from
// data/openapi_v3_crd_template.json (see data/make_openapi_template.py).
#pragma once

#include <string>

namespace dbtoken::kubedouble {

const std::string& openApiV3CrdTemplate();

}  // namespace dbtoken::kubedouble
