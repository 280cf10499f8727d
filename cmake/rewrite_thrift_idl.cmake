# cmake -P helper for ferry_apache_thrift_library: copies IN to OUT with its
# `namespace cpp` set to NAMESPACE (if given) and, with STRIP_UUID=ON, without `uuid`
# fields and functions (Debian's thrift 0.17 has no uuid type).
file(READ ${IN} idl)
if(NAMESPACE)
  string(REGEX REPLACE "namespace[ \t]+cpp[ \t]+[A-Za-z0-9_.]+"
         "namespace cpp ${NAMESPACE}" idl "${idl}")
  if(NOT idl MATCHES "namespace cpp ")
    string(PREPEND idl "namespace cpp ${NAMESPACE}\n")
  endif()
endif()
if(STRIP_UUID)
  # Fields whose type mentions uuid (`5: uuid uuid_field`, `3: set<uuid> ids`)
  # and functions returning it (`uuid testUuid(1: uuid thing),`).
  string(REGEX REPLACE "\n[ \t]*[0-9]+:[^\n]*[< \t]uuid[>, \t][^\n]*" "" idl "${idl}")
  string(REGEX REPLACE "\n[ \t]*uuid[ \t]+[A-Za-z_]+\\([^)]*\\)[^\n]*" "" idl "${idl}")
endif()
file(WRITE ${OUT} "${idl}")
