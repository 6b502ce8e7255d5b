/// The OpenAPI 3.1 document of the whole API, served at `GET /openapi.json` (with `servers` set to
/// the base path). `OpenAPITests` walks the responder's routes and fails when this document and
/// the routes disagree; CI validates it and fuzzes the server against it with schemathesis.
let openAPIDocumentText = #"""
{
  "openapi": "3.1.0",
  "info": {
    "title": "Versioner",
    "version": "1.0.0",
    "description": "Deployment tracking: CI/CD pipelines send build and deployment events; engineers and tools ask what is deployed where. Wire-compatible with the Versioner CLI and GitHub Action.\n\nEvery operation but the public ones needs `Authorization: Bearer <key>`: `read` for GET, `events:write` for event POSTs, `admin` for everything else (an admin key has every scope). Lists are bare JSON arrays, newest first; the next page is announced in `Link: <\u2026>; rel=\"next\"`."
  },
  "servers": [
    {
      "url": "/"
    }
  ],
  "security": [
    {
      "bearerAuth": []
    }
  ],
  "tags": [
    {
      "name": "Events"
    },
    {
      "name": "Queries"
    },
    {
      "name": "Products"
    },
    {
      "name": "Environments"
    },
    {
      "name": "Keys"
    },
    {
      "name": "Operations"
    }
  ],
  "paths": {
    "/health": {
      "get": {
        "operationId": "health",
        "summary": "The process answers",
        "tags": [
          "Operations"
        ],
        "responses": {
          "200": {
            "description": "OK",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Status"
                }
              }
            }
          }
        },
        "security": []
      }
    },
    "/ready": {
      "get": {
        "operationId": "ready",
        "summary": "Recovery has finished",
        "tags": [
          "Operations"
        ],
        "responses": {
          "200": {
            "description": "OK",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Status"
                }
              }
            }
          },
          "503": {
            "$ref": "#/components/responses/Unavailable"
          }
        },
        "security": []
      }
    },
    "/metrics": {
      "get": {
        "operationId": "metrics",
        "summary": "Metrics in the Prometheus text format",
        "tags": [
          "Operations"
        ],
        "description": "Public unless the server runs with `--metrics-require-key`, when it needs a key with the `read` scope.",
        "responses": {
          "200": {
            "description": "Prometheus text exposition format 0.0.4.",
            "content": {
              "text/plain": {
                "schema": {
                  "type": "string"
                }
              }
            }
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "403": {
            "$ref": "#/components/responses/Forbidden"
          },
          "503": {
            "$ref": "#/components/responses/Unavailable"
          }
        },
        "security": []
      }
    },
    "/openapi.json": {
      "get": {
        "operationId": "openapi",
        "summary": "This document",
        "tags": [
          "Operations"
        ],
        "responses": {
          "200": {
            "description": "OpenAPI 3.1",
            "content": {
              "application/json": {
                "schema": {
                  "type": "object"
                }
              }
            }
          }
        },
        "security": []
      }
    },
    "/docs": {
      "get": {
        "operationId": "docs",
        "summary": "The interactive API page",
        "tags": [
          "Operations"
        ],
        "responses": {
          "200": {
            "description": "A self-contained HTML page.",
            "content": {
              "text/html": {
                "schema": {
                  "type": "string"
                }
              }
            }
          }
        },
        "security": []
      }
    },
    "/deployment-events/": {
      "post": {
        "operationId": "recordDeploymentEvent",
        "summary": "Record a deployment event",
        "tags": [
          "Events"
        ],
        "description": "Creates the product, environment and version when missing; updates the deployment the event correlates to (same product, environment and version, not terminal, `invoke_id` first) or starts a new one. Answered once durable.",
        "requestBody": {
          "required": true,
          "content": {
            "application/json": {
              "schema": {
                "$ref": "#/components/schemas/DeploymentEventInput"
              },
              "example": {
                "product_name": "my-service",
                "version": "1.2.3",
                "environment_name": "production",
                "status": "success",
                "deployed_by": "jdoe",
                "source_system": "github",
                "scm_sha": "0123456789abcdef0123456789abcdef01234567"
              }
            }
          }
        },
        "responses": {
          "200": {
            "description": "OK",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Deployment"
                }
              }
            }
          },
          "400": {
            "$ref": "#/components/responses/BadRequest"
          },
          "413": {
            "$ref": "#/components/responses/TooLarge"
          },
          "415": {
            "$ref": "#/components/responses/UnsupportedMediaType"
          },
          "422": {
            "$ref": "#/components/responses/Invalid"
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "403": {
            "$ref": "#/components/responses/Forbidden"
          },
          "503": {
            "$ref": "#/components/responses/Unavailable"
          }
        }
      }
    },
    "/build-events/": {
      "post": {
        "operationId": "recordBuildEvent",
        "summary": "Record a build event",
        "tags": [
          "Events"
        ],
        "description": "Creates the product and version when missing; a version's SHA never changes.",
        "requestBody": {
          "required": true,
          "content": {
            "application/json": {
              "schema": {
                "$ref": "#/components/schemas/BuildEventInput"
              },
              "example": {
                "product_name": "my-service",
                "version": "1.2.3",
                "status": "completed",
                "build_number": "42",
                "scm_sha": "0123456789abcdef0123456789abcdef01234567",
                "source_system": "github"
              }
            }
          }
        },
        "responses": {
          "200": {
            "description": "OK",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Build"
                }
              }
            }
          },
          "409": {
            "description": "The version exists with a different SHA.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
                }
              }
            }
          },
          "400": {
            "$ref": "#/components/responses/BadRequest"
          },
          "413": {
            "$ref": "#/components/responses/TooLarge"
          },
          "415": {
            "$ref": "#/components/responses/UnsupportedMediaType"
          },
          "422": {
            "$ref": "#/components/responses/Invalid"
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "403": {
            "$ref": "#/components/responses/Forbidden"
          },
          "503": {
            "$ref": "#/components/responses/Unavailable"
          }
        }
      }
    },
    "/version-events/": {
      "post": {
        "operationId": "recordVersionEvent",
        "summary": "Record a build event (older name)",
        "tags": [
          "Events"
        ],
        "description": "Creates the product and version when missing; a version's SHA never changes. The older name of `POST /build-events/`.",
        "requestBody": {
          "required": true,
          "content": {
            "application/json": {
              "schema": {
                "$ref": "#/components/schemas/BuildEventInput"
              },
              "example": {
                "product_name": "my-service",
                "version": "1.2.3",
                "status": "completed",
                "build_number": "42",
                "scm_sha": "0123456789abcdef0123456789abcdef01234567",
                "source_system": "github"
              }
            }
          }
        },
        "responses": {
          "200": {
            "description": "OK",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Build"
                }
              }
            }
          },
          "409": {
            "description": "The version exists with a different SHA.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
                }
              }
            }
          },
          "400": {
            "$ref": "#/components/responses/BadRequest"
          },
          "413": {
            "$ref": "#/components/responses/TooLarge"
          },
          "415": {
            "$ref": "#/components/responses/UnsupportedMediaType"
          },
          "422": {
            "$ref": "#/components/responses/Invalid"
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "403": {
            "$ref": "#/components/responses/Forbidden"
          },
          "503": {
            "$ref": "#/components/responses/Unavailable"
          }
        }
      }
    },
    "/products/": {
      "get": {
        "operationId": "listProducts",
        "summary": "List products",
        "tags": [
          "Products"
        ],
        "parameters": [
          {
            "$ref": "#/components/parameters/limit"
          },
          {
            "$ref": "#/components/parameters/cursor"
          }
        ],
        "responses": {
          "200": {
            "description": "OK",
            "content": {
              "application/json": {
                "schema": {
                  "type": "array",
                  "items": {
                    "$ref": "#/components/schemas/Product"
                  }
                }
              }
            },
            "headers": {
              "Link": {
                "description": "`<\u2026>; rel=\"next\"` when there is a next page.",
                "schema": {
                  "type": "string"
                }
              }
            }
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "403": {
            "$ref": "#/components/responses/Forbidden"
          },
          "503": {
            "$ref": "#/components/responses/Unavailable"
          },
          "422": {
            "$ref": "#/components/responses/Invalid"
          }
        }
      },
      "post": {
        "operationId": "createProduct",
        "summary": "Create a product",
        "tags": [
          "Products"
        ],
        "requestBody": {
          "required": true,
          "content": {
            "application/json": {
              "schema": {
                "$ref": "#/components/schemas/NewProduct"
              },
              "example": {
                "name": "billing",
                "description": "Invoices and payments"
              }
            }
          }
        },
        "responses": {
          "201": {
            "description": "Created",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Product"
                }
              }
            }
          },
          "409": {
            "$ref": "#/components/responses/Conflict"
          },
          "400": {
            "$ref": "#/components/responses/BadRequest"
          },
          "413": {
            "$ref": "#/components/responses/TooLarge"
          },
          "415": {
            "$ref": "#/components/responses/UnsupportedMediaType"
          },
          "422": {
            "$ref": "#/components/responses/Invalid"
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "403": {
            "$ref": "#/components/responses/Forbidden"
          },
          "503": {
            "$ref": "#/components/responses/Unavailable"
          }
        }
      }
    },
    "/products/{id}": {
      "get": {
        "operationId": "getProduct",
        "summary": "Get a product",
        "tags": [
          "Products"
        ],
        "parameters": [
          {
            "$ref": "#/components/parameters/id"
          }
        ],
        "responses": {
          "200": {
            "description": "OK",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Product"
                }
              }
            }
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "403": {
            "$ref": "#/components/responses/Forbidden"
          },
          "503": {
            "$ref": "#/components/responses/Unavailable"
          },
          "404": {
            "$ref": "#/components/responses/NotFound"
          },
          "422": {
            "$ref": "#/components/responses/Invalid"
          }
        }
      },
      "patch": {
        "operationId": "updateProduct",
        "summary": "Rename a product or change its description or metadata",
        "tags": [
          "Products"
        ],
        "parameters": [
          {
            "$ref": "#/components/parameters/id"
          }
        ],
        "requestBody": {
          "required": true,
          "content": {
            "application/json": {
              "schema": {
                "$ref": "#/components/schemas/ProductPatch"
              },
              "example": {
                "description": "The service"
              }
            }
          }
        },
        "responses": {
          "200": {
            "description": "OK",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Product"
                }
              }
            }
          },
          "409": {
            "$ref": "#/components/responses/Conflict"
          },
          "400": {
            "$ref": "#/components/responses/BadRequest"
          },
          "413": {
            "$ref": "#/components/responses/TooLarge"
          },
          "415": {
            "$ref": "#/components/responses/UnsupportedMediaType"
          },
          "422": {
            "$ref": "#/components/responses/Invalid"
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "403": {
            "$ref": "#/components/responses/Forbidden"
          },
          "503": {
            "$ref": "#/components/responses/Unavailable"
          },
          "404": {
            "$ref": "#/components/responses/NotFound"
          }
        }
      },
      "delete": {
        "operationId": "deleteProduct",
        "summary": "Delete a product with its versions, builds, deployments and events",
        "tags": [
          "Products"
        ],
        "parameters": [
          {
            "$ref": "#/components/parameters/id"
          }
        ],
        "responses": {
          "204": {
            "description": "Deleted."
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "403": {
            "$ref": "#/components/responses/Forbidden"
          },
          "503": {
            "$ref": "#/components/responses/Unavailable"
          },
          "404": {
            "$ref": "#/components/responses/NotFound"
          },
          "422": {
            "$ref": "#/components/responses/Invalid"
          }
        }
      }
    },
    "/environments/": {
      "get": {
        "operationId": "listEnvironments",
        "summary": "List environments",
        "tags": [
          "Environments"
        ],
        "parameters": [
          {
            "$ref": "#/components/parameters/envtype"
          },
          {
            "$ref": "#/components/parameters/limit"
          },
          {
            "$ref": "#/components/parameters/cursor"
          }
        ],
        "responses": {
          "200": {
            "description": "OK",
            "content": {
              "application/json": {
                "schema": {
                  "type": "array",
                  "items": {
                    "$ref": "#/components/schemas/Environment"
                  }
                }
              }
            },
            "headers": {
              "Link": {
                "description": "`<\u2026>; rel=\"next\"` when there is a next page.",
                "schema": {
                  "type": "string"
                }
              }
            }
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "403": {
            "$ref": "#/components/responses/Forbidden"
          },
          "503": {
            "$ref": "#/components/responses/Unavailable"
          },
          "422": {
            "$ref": "#/components/responses/Invalid"
          }
        }
      }
    },
    "/environments/{id}": {
      "get": {
        "operationId": "getEnvironment",
        "summary": "Get an environment",
        "tags": [
          "Environments"
        ],
        "parameters": [
          {
            "$ref": "#/components/parameters/id"
          }
        ],
        "responses": {
          "200": {
            "description": "OK",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Environment"
                }
              }
            }
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "403": {
            "$ref": "#/components/responses/Forbidden"
          },
          "503": {
            "$ref": "#/components/responses/Unavailable"
          },
          "404": {
            "$ref": "#/components/responses/NotFound"
          },
          "422": {
            "$ref": "#/components/responses/Invalid"
          }
        }
      },
      "patch": {
        "operationId": "updateEnvironment",
        "summary": "Rename an environment or change its type, description or metadata",
        "tags": [
          "Environments"
        ],
        "parameters": [
          {
            "$ref": "#/components/parameters/id"
          }
        ],
        "requestBody": {
          "required": true,
          "content": {
            "application/json": {
              "schema": {
                "$ref": "#/components/schemas/EnvironmentPatch"
              },
              "example": {
                "type": "staging"
              }
            }
          }
        },
        "responses": {
          "200": {
            "description": "OK",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Environment"
                }
              }
            }
          },
          "409": {
            "$ref": "#/components/responses/Conflict"
          },
          "400": {
            "$ref": "#/components/responses/BadRequest"
          },
          "413": {
            "$ref": "#/components/responses/TooLarge"
          },
          "415": {
            "$ref": "#/components/responses/UnsupportedMediaType"
          },
          "422": {
            "$ref": "#/components/responses/Invalid"
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "403": {
            "$ref": "#/components/responses/Forbidden"
          },
          "503": {
            "$ref": "#/components/responses/Unavailable"
          },
          "404": {
            "$ref": "#/components/responses/NotFound"
          }
        }
      },
      "delete": {
        "operationId": "deleteEnvironment",
        "summary": "Delete an environment and its deployments (their events stay in the audit log)",
        "tags": [
          "Environments"
        ],
        "parameters": [
          {
            "$ref": "#/components/parameters/id"
          }
        ],
        "responses": {
          "204": {
            "description": "Deleted."
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "403": {
            "$ref": "#/components/responses/Forbidden"
          },
          "503": {
            "$ref": "#/components/responses/Unavailable"
          },
          "404": {
            "$ref": "#/components/responses/NotFound"
          },
          "422": {
            "$ref": "#/components/responses/Invalid"
          }
        }
      }
    },
    "/versions/": {
      "get": {
        "operationId": "listVersions",
        "summary": "List versions",
        "tags": [
          "Queries"
        ],
        "parameters": [
          {
            "$ref": "#/components/parameters/product"
          },
          {
            "$ref": "#/components/parameters/scm_sha"
          },
          {
            "$ref": "#/components/parameters/limit"
          },
          {
            "$ref": "#/components/parameters/cursor"
          }
        ],
        "responses": {
          "200": {
            "description": "OK",
            "content": {
              "application/json": {
                "schema": {
                  "type": "array",
                  "items": {
                    "$ref": "#/components/schemas/Version"
                  }
                }
              }
            },
            "headers": {
              "Link": {
                "description": "`<\u2026>; rel=\"next\"` when there is a next page.",
                "schema": {
                  "type": "string"
                }
              }
            }
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "403": {
            "$ref": "#/components/responses/Forbidden"
          },
          "503": {
            "$ref": "#/components/responses/Unavailable"
          },
          "422": {
            "$ref": "#/components/responses/Invalid"
          }
        }
      }
    },
    "/versions/{id}": {
      "get": {
        "operationId": "getVersion",
        "summary": "Get a version with its builds and where it is deployed",
        "tags": [
          "Queries"
        ],
        "parameters": [
          {
            "$ref": "#/components/parameters/id"
          }
        ],
        "responses": {
          "200": {
            "description": "OK",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Version"
                }
              }
            }
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "403": {
            "$ref": "#/components/responses/Forbidden"
          },
          "503": {
            "$ref": "#/components/responses/Unavailable"
          },
          "404": {
            "$ref": "#/components/responses/NotFound"
          },
          "422": {
            "$ref": "#/components/responses/Invalid"
          }
        }
      }
    },
    "/builds/": {
      "get": {
        "operationId": "listBuilds",
        "summary": "List builds",
        "tags": [
          "Queries"
        ],
        "parameters": [
          {
            "$ref": "#/components/parameters/product"
          },
          {
            "$ref": "#/components/parameters/version"
          },
          {
            "$ref": "#/components/parameters/status"
          },
          {
            "$ref": "#/components/parameters/limit"
          },
          {
            "$ref": "#/components/parameters/cursor"
          }
        ],
        "responses": {
          "200": {
            "description": "OK",
            "content": {
              "application/json": {
                "schema": {
                  "type": "array",
                  "items": {
                    "$ref": "#/components/schemas/Build"
                  }
                }
              }
            },
            "headers": {
              "Link": {
                "description": "`<\u2026>; rel=\"next\"` when there is a next page.",
                "schema": {
                  "type": "string"
                }
              }
            }
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "403": {
            "$ref": "#/components/responses/Forbidden"
          },
          "503": {
            "$ref": "#/components/responses/Unavailable"
          },
          "422": {
            "$ref": "#/components/responses/Invalid"
          }
        }
      }
    },
    "/builds/{id}": {
      "get": {
        "operationId": "getBuild",
        "summary": "Get a build",
        "tags": [
          "Queries"
        ],
        "parameters": [
          {
            "$ref": "#/components/parameters/id"
          }
        ],
        "responses": {
          "200": {
            "description": "OK",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Build"
                }
              }
            }
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "403": {
            "$ref": "#/components/responses/Forbidden"
          },
          "503": {
            "$ref": "#/components/responses/Unavailable"
          },
          "404": {
            "$ref": "#/components/responses/NotFound"
          },
          "422": {
            "$ref": "#/components/responses/Invalid"
          }
        }
      }
    },
    "/deployments/": {
      "get": {
        "operationId": "listDeployments",
        "summary": "List deployments, newest first",
        "tags": [
          "Queries"
        ],
        "description": "`since` and `until` filter `deployed_at`.",
        "parameters": [
          {
            "$ref": "#/components/parameters/product"
          },
          {
            "$ref": "#/components/parameters/environment"
          },
          {
            "$ref": "#/components/parameters/version"
          },
          {
            "$ref": "#/components/parameters/status"
          },
          {
            "$ref": "#/components/parameters/since"
          },
          {
            "$ref": "#/components/parameters/until"
          },
          {
            "$ref": "#/components/parameters/limit"
          },
          {
            "$ref": "#/components/parameters/cursor"
          }
        ],
        "responses": {
          "200": {
            "description": "OK",
            "content": {
              "application/json": {
                "schema": {
                  "type": "array",
                  "items": {
                    "$ref": "#/components/schemas/Deployment"
                  }
                }
              }
            },
            "headers": {
              "Link": {
                "description": "`<\u2026>; rel=\"next\"` when there is a next page.",
                "schema": {
                  "type": "string"
                }
              }
            }
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "403": {
            "$ref": "#/components/responses/Forbidden"
          },
          "503": {
            "$ref": "#/components/responses/Unavailable"
          },
          "422": {
            "$ref": "#/components/responses/Invalid"
          }
        }
      }
    },
    "/deployments/{id}": {
      "get": {
        "operationId": "getDeployment",
        "summary": "Get a deployment",
        "tags": [
          "Queries"
        ],
        "parameters": [
          {
            "$ref": "#/components/parameters/id"
          }
        ],
        "responses": {
          "200": {
            "description": "OK",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Deployment"
                }
              }
            }
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "403": {
            "$ref": "#/components/responses/Forbidden"
          },
          "503": {
            "$ref": "#/components/responses/Unavailable"
          },
          "404": {
            "$ref": "#/components/responses/NotFound"
          },
          "422": {
            "$ref": "#/components/responses/Invalid"
          }
        }
      }
    },
    "/state/": {
      "get": {
        "operationId": "getState",
        "summary": "What is deployed where: the environment state matrix",
        "tags": [
          "Queries"
        ],
        "parameters": [
          {
            "$ref": "#/components/parameters/product"
          },
          {
            "$ref": "#/components/parameters/environment"
          },
          {
            "$ref": "#/components/parameters/envtype"
          }
        ],
        "responses": {
          "200": {
            "description": "OK",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/StateMatrix"
                }
              }
            }
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "403": {
            "$ref": "#/components/responses/Forbidden"
          },
          "503": {
            "$ref": "#/components/responses/Unavailable"
          },
          "422": {
            "$ref": "#/components/responses/Invalid"
          }
        }
      }
    },
    "/events/": {
      "get": {
        "operationId": "listEvents",
        "summary": "The audit log of accepted events, newest first",
        "tags": [
          "Queries"
        ],
        "description": "`since` filters `recorded_at`.",
        "parameters": [
          {
            "$ref": "#/components/parameters/product"
          },
          {
            "$ref": "#/components/parameters/environment"
          },
          {
            "$ref": "#/components/parameters/eventtype"
          },
          {
            "$ref": "#/components/parameters/since"
          },
          {
            "$ref": "#/components/parameters/limit"
          },
          {
            "$ref": "#/components/parameters/cursor"
          }
        ],
        "responses": {
          "200": {
            "description": "OK",
            "content": {
              "application/json": {
                "schema": {
                  "type": "array",
                  "items": {
                    "$ref": "#/components/schemas/Event"
                  }
                }
              }
            },
            "headers": {
              "Link": {
                "description": "`<\u2026>; rel=\"next\"` when there is a next page.",
                "schema": {
                  "type": "string"
                }
              }
            }
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "403": {
            "$ref": "#/components/responses/Forbidden"
          },
          "503": {
            "$ref": "#/components/responses/Unavailable"
          },
          "422": {
            "$ref": "#/components/responses/Invalid"
          }
        }
      }
    },
    "/api-keys/": {
      "get": {
        "operationId": "listAPIKeys",
        "summary": "List API keys",
        "tags": [
          "Keys"
        ],
        "parameters": [
          {
            "$ref": "#/components/parameters/limit"
          },
          {
            "$ref": "#/components/parameters/cursor"
          }
        ],
        "responses": {
          "200": {
            "description": "OK",
            "content": {
              "application/json": {
                "schema": {
                  "type": "array",
                  "items": {
                    "$ref": "#/components/schemas/APIKey"
                  }
                }
              }
            },
            "headers": {
              "Link": {
                "description": "`<\u2026>; rel=\"next\"` when there is a next page.",
                "schema": {
                  "type": "string"
                }
              }
            }
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "403": {
            "$ref": "#/components/responses/Forbidden"
          },
          "503": {
            "$ref": "#/components/responses/Unavailable"
          },
          "422": {
            "$ref": "#/components/responses/Invalid"
          }
        }
      },
      "post": {
        "operationId": "createAPIKey",
        "summary": "Issue an API key (shown once)",
        "tags": [
          "Keys"
        ],
        "requestBody": {
          "required": true,
          "content": {
            "application/json": {
              "schema": {
                "$ref": "#/components/schemas/NewAPIKey"
              },
              "example": {
                "name": "ci",
                "scopes": [
                  "events:write"
                ]
              }
            }
          }
        },
        "responses": {
          "201": {
            "description": "Created",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/IssuedAPIKey"
                }
              }
            }
          },
          "400": {
            "$ref": "#/components/responses/BadRequest"
          },
          "413": {
            "$ref": "#/components/responses/TooLarge"
          },
          "415": {
            "$ref": "#/components/responses/UnsupportedMediaType"
          },
          "422": {
            "$ref": "#/components/responses/Invalid"
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "403": {
            "$ref": "#/components/responses/Forbidden"
          },
          "503": {
            "$ref": "#/components/responses/Unavailable"
          }
        }
      }
    },
    "/api-keys/{id}": {
      "get": {
        "operationId": "getAPIKey",
        "summary": "Get an API key",
        "tags": [
          "Keys"
        ],
        "parameters": [
          {
            "$ref": "#/components/parameters/id"
          }
        ],
        "responses": {
          "200": {
            "description": "OK",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/APIKey"
                }
              }
            }
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "403": {
            "$ref": "#/components/responses/Forbidden"
          },
          "503": {
            "$ref": "#/components/responses/Unavailable"
          },
          "404": {
            "$ref": "#/components/responses/NotFound"
          },
          "422": {
            "$ref": "#/components/responses/Invalid"
          }
        }
      },
      "delete": {
        "operationId": "revokeAPIKey",
        "summary": "Revoke an API key",
        "tags": [
          "Keys"
        ],
        "parameters": [
          {
            "$ref": "#/components/parameters/id"
          }
        ],
        "responses": {
          "204": {
            "description": "Revoked."
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "403": {
            "$ref": "#/components/responses/Forbidden"
          },
          "503": {
            "$ref": "#/components/responses/Unavailable"
          },
          "404": {
            "$ref": "#/components/responses/NotFound"
          },
          "422": {
            "$ref": "#/components/responses/Invalid"
          }
        }
      }
    },
    "/admin/snapshots/": {
      "post": {
        "operationId": "createSnapshot",
        "summary": "Write a snapshot now",
        "tags": [
          "Operations"
        ],
        "responses": {
          "201": {
            "description": "Written",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Snapshot"
                }
              }
            }
          },
          "409": {
            "description": "The server keeps no files.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
                }
              }
            }
          },
          "500": {
            "description": "The snapshot could not be written; the journal still holds every change.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
                }
              }
            }
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "403": {
            "$ref": "#/components/responses/Forbidden"
          },
          "503": {
            "$ref": "#/components/responses/Unavailable"
          }
        }
      }
    }
  },
  "components": {
    "schemas": {
      "Error": {
        "type": "object",
        "description": "Every error but 422: a message in `detail`.",
        "properties": {
          "detail": {
            "type": "string"
          },
          "message": {
            "type": "string",
            "description": "Sent beside `detail` on a build event's SHA conflict (the GitHub Action prints it)."
          }
        },
        "required": [
          "detail"
        ],
        "additionalProperties": false
      },
      "ValidationError": {
        "type": "object",
        "description": "422: every invalid field.",
        "properties": {
          "detail": {
            "type": "array",
            "minItems": 1,
            "items": {
              "type": "object",
              "properties": {
                "loc": {
                  "type": "array",
                  "items": {
                    "type": "string"
                  },
                  "minItems": 1
                },
                "msg": {
                  "type": "string"
                },
                "type": {
                  "type": "string"
                },
                "ctx": {
                  "type": "object",
                  "properties": {
                    "limit_value": {
                      "type": "integer"
                    }
                  },
                  "required": [
                    "limit_value"
                  ],
                  "additionalProperties": false
                }
              },
              "required": [
                "loc",
                "msg",
                "type"
              ],
              "additionalProperties": false
            }
          }
        },
        "required": [
          "detail"
        ],
        "additionalProperties": false
      },
      "DeploymentEventInput": {
        "type": "object",
        "description": "A deployment event as the Versioner CLI and GitHub Action send it. Unknown fields are ignored.",
        "properties": {
          "product_name": {
            "type": "string",
            "maxLength": 255
          },
          "version": {
            "type": "string",
            "maxLength": 100
          },
          "environment_name": {
            "type": "string",
            "maxLength": 100
          },
          "status": {
            "type": "string",
            "maxLength": 50,
            "description": "A canonical status or an alias (spec \u00a72), trimmed and case-insensitive: pending, queued, scheduled, started, in_progress, init, deploying, building, completed, success, complete, finished, deployed, built, failed, fail, failure, error, aborted, abort, cancelled, canceled, cancel, skipped."
          },
          "deployed_by": {
            "type": [
              "string",
              "null"
            ],
            "maxLength": 255
          },
          "deployed_by_email": {
            "type": [
              "string",
              "null"
            ],
            "maxLength": 255
          },
          "deployed_by_name": {
            "type": [
              "string",
              "null"
            ],
            "maxLength": 255
          },
          "scm_sha": {
            "type": [
              "string",
              "null"
            ],
            "maxLength": 40
          },
          "scm_repository": {
            "type": [
              "string",
              "null"
            ],
            "maxLength": 500
          },
          "scm_branch": {
            "type": [
              "string",
              "null"
            ],
            "maxLength": 100
          },
          "deploy_url": {
            "type": [
              "string",
              "null"
            ],
            "maxLength": 500
          },
          "build_url": {
            "type": [
              "string",
              "null"
            ],
            "maxLength": 500,
            "description": "Alias of `deploy_url`."
          },
          "build_number": {
            "type": [
              "string",
              "null"
            ],
            "maxLength": 100
          },
          "source_system": {
            "type": [
              "string",
              "null"
            ],
            "maxLength": 50
          },
          "invoke_id": {
            "type": [
              "string",
              "null"
            ],
            "maxLength": 255
          },
          "started_at": {
            "type": [
              "string",
              "null"
            ],
            "format": "date-time"
          },
          "completed_at": {
            "type": [
              "string",
              "null"
            ],
            "format": "date-time"
          },
          "extra_metadata": {
            "type": [
              "object",
              "null"
            ],
            "description": "At most 100 KiB serialised."
          },
          "skip_preflight_checks": {
            "type": [
              "boolean",
              "null"
            ],
            "deprecated": true,
            "description": "Accepted and ignored."
          }
        },
        "required": [
          "product_name",
          "version",
          "environment_name",
          "status"
        ]
      },
      "BuildEventInput": {
        "type": "object",
        "description": "A build event. Unknown fields are ignored.",
        "properties": {
          "product_name": {
            "type": "string",
            "maxLength": 255
          },
          "version": {
            "type": "string",
            "maxLength": 100
          },
          "status": {
            "type": "string",
            "maxLength": 50,
            "description": "A canonical status or an alias (spec \u00a72), trimmed and case-insensitive: pending, queued, scheduled, started, in_progress, init, deploying, building, completed, success, complete, finished, deployed, built, failed, fail, failure, error, aborted, abort, cancelled, canceled, cancel, skipped.",
            "default": "completed"
          },
          "built_by": {
            "type": [
              "string",
              "null"
            ],
            "maxLength": 255
          },
          "built_by_email": {
            "type": [
              "string",
              "null"
            ],
            "maxLength": 255
          },
          "built_by_name": {
            "type": [
              "string",
              "null"
            ],
            "maxLength": 255
          },
          "scm_sha": {
            "type": [
              "string",
              "null"
            ],
            "maxLength": 40
          },
          "scm_branch": {
            "type": [
              "string",
              "null"
            ],
            "maxLength": 100
          },
          "scm_repository": {
            "type": [
              "string",
              "null"
            ],
            "maxLength": 500
          },
          "build_url": {
            "type": [
              "string",
              "null"
            ],
            "maxLength": 500
          },
          "build_number": {
            "type": [
              "string",
              "null"
            ],
            "maxLength": 100
          },
          "source_system": {
            "type": [
              "string",
              "null"
            ],
            "maxLength": 50
          },
          "invoke_id": {
            "type": [
              "string",
              "null"
            ],
            "maxLength": 255
          },
          "started_at": {
            "type": [
              "string",
              "null"
            ],
            "format": "date-time"
          },
          "completed_at": {
            "type": [
              "string",
              "null"
            ],
            "format": "date-time"
          },
          "error_message": {
            "type": [
              "string",
              "null"
            ],
            "maxLength": 2000
          },
          "error_code": {
            "type": [
              "string",
              "null"
            ],
            "maxLength": 100
          },
          "extra_metadata": {
            "type": [
              "object",
              "null"
            ],
            "description": "At most 100 KiB serialised."
          }
        },
        "required": [
          "product_name",
          "version"
        ]
      },
      "Deployment": {
        "type": "object",
        "properties": {
          "id": {
            "type": "string",
            "format": "uuid"
          },
          "product_id": {
            "type": "string",
            "format": "uuid"
          },
          "product_name": {
            "type": "string"
          },
          "version_id": {
            "type": "string",
            "format": "uuid"
          },
          "version": {
            "type": "string"
          },
          "environment_id": {
            "type": "string",
            "format": "uuid"
          },
          "environment_name": {
            "type": "string"
          },
          "status": {
            "type": "string",
            "enum": [
              "pending",
              "started",
              "completed",
              "failed",
              "aborted"
            ]
          },
          "deployed_at": {
            "type": "string",
            "format": "date-time"
          },
          "started_at": {
            "type": [
              "string",
              "null"
            ],
            "format": "date-time"
          },
          "completed_at": {
            "type": [
              "string",
              "null"
            ],
            "format": "date-time"
          },
          "deployed_by": {
            "type": [
              "string",
              "null"
            ]
          },
          "deployed_by_email": {
            "type": [
              "string",
              "null"
            ]
          },
          "deployed_by_name": {
            "type": [
              "string",
              "null"
            ]
          },
          "scm_sha": {
            "type": [
              "string",
              "null"
            ]
          },
          "scm_repository": {
            "type": [
              "string",
              "null"
            ]
          },
          "scm_branch": {
            "type": [
              "string",
              "null"
            ]
          },
          "deploy_url": {
            "type": [
              "string",
              "null"
            ]
          },
          "build_number": {
            "type": [
              "string",
              "null"
            ]
          },
          "source_system": {
            "type": [
              "string",
              "null"
            ]
          },
          "invoke_id": {
            "type": [
              "string",
              "null"
            ]
          },
          "extra_metadata": {
            "type": "object"
          },
          "created_at": {
            "type": "string",
            "format": "date-time"
          },
          "event_id": {
            "type": "string",
            "format": "uuid",
            "description": "The deployment's last event."
          },
          "recorded_at": {
            "type": "string",
            "format": "date-time"
          }
        },
        "required": [
          "id",
          "product_id",
          "product_name",
          "version_id",
          "version",
          "environment_id",
          "environment_name",
          "status",
          "deployed_at",
          "started_at",
          "completed_at",
          "deployed_by",
          "deployed_by_email",
          "deployed_by_name",
          "scm_sha",
          "scm_repository",
          "scm_branch",
          "deploy_url",
          "build_number",
          "source_system",
          "invoke_id",
          "extra_metadata",
          "created_at",
          "event_id",
          "recorded_at"
        ],
        "additionalProperties": false
      },
      "Build": {
        "type": "object",
        "properties": {
          "id": {
            "type": "string",
            "format": "uuid"
          },
          "product_id": {
            "type": "string",
            "format": "uuid"
          },
          "product_name": {
            "type": "string"
          },
          "version_id": {
            "type": "string",
            "format": "uuid"
          },
          "version": {
            "type": "string"
          },
          "status": {
            "type": "string",
            "enum": [
              "pending",
              "started",
              "completed",
              "failed",
              "aborted"
            ]
          },
          "build_number": {
            "type": [
              "string",
              "null"
            ]
          },
          "build_url": {
            "type": [
              "string",
              "null"
            ]
          },
          "scm_sha": {
            "type": [
              "string",
              "null"
            ]
          },
          "scm_branch": {
            "type": [
              "string",
              "null"
            ]
          },
          "scm_repository": {
            "type": [
              "string",
              "null"
            ]
          },
          "built_by": {
            "type": [
              "string",
              "null"
            ]
          },
          "built_by_email": {
            "type": [
              "string",
              "null"
            ]
          },
          "built_by_name": {
            "type": [
              "string",
              "null"
            ]
          },
          "source_system": {
            "type": [
              "string",
              "null"
            ]
          },
          "invoke_id": {
            "type": [
              "string",
              "null"
            ]
          },
          "started_at": {
            "type": [
              "string",
              "null"
            ],
            "format": "date-time"
          },
          "completed_at": {
            "type": [
              "string",
              "null"
            ],
            "format": "date-time"
          },
          "error_message": {
            "type": [
              "string",
              "null"
            ]
          },
          "error_code": {
            "type": [
              "string",
              "null"
            ]
          },
          "extra_metadata": {
            "type": "object"
          },
          "created_at": {
            "type": "string",
            "format": "date-time"
          },
          "event_id": {
            "type": "string",
            "format": "uuid"
          },
          "recorded_at": {
            "type": "string",
            "format": "date-time"
          }
        },
        "required": [
          "id",
          "product_id",
          "product_name",
          "version_id",
          "version",
          "status",
          "build_number",
          "build_url",
          "scm_sha",
          "scm_branch",
          "scm_repository",
          "built_by",
          "built_by_email",
          "built_by_name",
          "source_system",
          "invoke_id",
          "started_at",
          "completed_at",
          "error_message",
          "error_code",
          "extra_metadata",
          "created_at",
          "event_id",
          "recorded_at"
        ],
        "additionalProperties": false
      },
      "Version": {
        "type": "object",
        "properties": {
          "id": {
            "type": "string",
            "format": "uuid"
          },
          "product_id": {
            "type": "string",
            "format": "uuid"
          },
          "product_name": {
            "type": "string"
          },
          "version": {
            "type": "string"
          },
          "scm_sha": {
            "type": [
              "string",
              "null"
            ]
          },
          "scm_repository": {
            "type": [
              "string",
              "null"
            ]
          },
          "scm_branch": {
            "type": [
              "string",
              "null"
            ]
          },
          "created_at": {
            "type": "string",
            "format": "date-time"
          },
          "builds": {
            "type": "array",
            "items": {
              "$ref": "#/components/schemas/Build"
            }
          },
          "deployed_to": {
            "type": "array",
            "description": "The environments where this is the current version.",
            "items": {
              "type": "object",
              "properties": {
                "id": {
                  "type": "string",
                  "format": "uuid"
                },
                "name": {
                  "type": "string"
                },
                "type": {
                  "type": "string",
                  "enum": [
                    "dev",
                    "test",
                    "staging",
                    "production",
                    "other"
                  ]
                },
                "deployment_id": {
                  "type": "string",
                  "format": "uuid"
                },
                "deployed_at": {
                  "type": "string",
                  "format": "date-time"
                }
              },
              "required": [
                "id",
                "name",
                "type",
                "deployment_id",
                "deployed_at"
              ],
              "additionalProperties": false
            }
          }
        },
        "required": [
          "id",
          "product_id",
          "product_name",
          "version",
          "scm_sha",
          "scm_repository",
          "scm_branch",
          "created_at",
          "builds",
          "deployed_to"
        ],
        "additionalProperties": false
      },
      "Product": {
        "type": "object",
        "properties": {
          "id": {
            "type": "string",
            "format": "uuid"
          },
          "name": {
            "type": "string"
          },
          "description": {
            "type": [
              "string",
              "null"
            ]
          },
          "extra_metadata": {
            "type": "object"
          },
          "created_at": {
            "type": "string",
            "format": "date-time"
          },
          "updated_at": {
            "type": "string",
            "format": "date-time"
          }
        },
        "required": [
          "id",
          "name",
          "description",
          "extra_metadata",
          "created_at",
          "updated_at"
        ],
        "additionalProperties": false
      },
      "NewProduct": {
        "type": "object",
        "properties": {
          "name": {
            "type": "string",
            "maxLength": 255
          },
          "description": {
            "type": [
              "string",
              "null"
            ],
            "maxLength": 2000
          },
          "extra_metadata": {
            "type": [
              "object",
              "null"
            ]
          }
        },
        "required": [
          "name"
        ]
      },
      "ProductPatch": {
        "type": "object",
        "description": "Only the fields sent change; `description: null` clears it.",
        "properties": {
          "name": {
            "type": "string",
            "maxLength": 255
          },
          "description": {
            "type": [
              "string",
              "null"
            ],
            "maxLength": 2000
          },
          "extra_metadata": {
            "type": [
              "object",
              "null"
            ]
          }
        }
      },
      "Environment": {
        "type": "object",
        "properties": {
          "id": {
            "type": "string",
            "format": "uuid"
          },
          "name": {
            "type": "string"
          },
          "type": {
            "type": "string",
            "enum": [
              "dev",
              "test",
              "staging",
              "production",
              "other"
            ]
          },
          "description": {
            "type": [
              "string",
              "null"
            ]
          },
          "metadata": {
            "type": "object"
          },
          "created_at": {
            "type": "string",
            "format": "date-time"
          },
          "updated_at": {
            "type": "string",
            "format": "date-time"
          }
        },
        "required": [
          "id",
          "name",
          "type",
          "description",
          "metadata",
          "created_at",
          "updated_at"
        ],
        "additionalProperties": false
      },
      "EnvironmentPatch": {
        "type": "object",
        "description": "Only the fields sent change. A new name classifies the type again unless `type` is given.",
        "properties": {
          "name": {
            "type": "string",
            "maxLength": 100
          },
          "type": {
            "type": "string",
            "enum": [
              "dev",
              "test",
              "staging",
              "production",
              "other"
            ]
          },
          "description": {
            "type": [
              "string",
              "null"
            ],
            "maxLength": 2000
          },
          "metadata": {
            "type": [
              "object",
              "null"
            ]
          }
        }
      },
      "StateMatrix": {
        "type": "object",
        "properties": {
          "environments": {
            "type": "array",
            "items": {
              "type": "object",
              "properties": {
                "id": {
                  "type": "string",
                  "format": "uuid"
                },
                "name": {
                  "type": "string"
                },
                "type": {
                  "type": "string",
                  "enum": [
                    "dev",
                    "test",
                    "staging",
                    "production",
                    "other"
                  ]
                }
              },
              "required": [
                "id",
                "name",
                "type"
              ],
              "additionalProperties": false
            }
          },
          "products": {
            "type": "array",
            "items": {
              "type": "object",
              "properties": {
                "id": {
                  "type": "string",
                  "format": "uuid"
                },
                "name": {
                  "type": "string"
                },
                "drift": {
                  "type": "boolean"
                },
                "environments": {
                  "type": "object",
                  "description": "Keyed by environment name.",
                  "additionalProperties": {
                    "type": "object",
                    "properties": {
                      "version": {
                        "type": [
                          "string",
                          "null"
                        ]
                      },
                      "version_id": {
                        "type": [
                          "string",
                          "null"
                        ],
                        "format": "uuid"
                      },
                      "deployment_id": {
                        "type": [
                          "string",
                          "null"
                        ],
                        "format": "uuid"
                      },
                      "deployed_at": {
                        "type": [
                          "string",
                          "null"
                        ],
                        "format": "date-time"
                      },
                      "deployed_by": {
                        "type": [
                          "string",
                          "null"
                        ]
                      },
                      "status": {
                        "type": [
                          "string",
                          "null"
                        ],
                        "enum": [
                          "pending",
                          "started",
                          "completed",
                          "failed",
                          "aborted",
                          null
                        ]
                      },
                      "latest": {
                        "type": "object",
                        "properties": {
                          "deployment_id": {
                            "type": "string",
                            "format": "uuid"
                          },
                          "version": {
                            "type": "string"
                          },
                          "status": {
                            "type": "string",
                            "enum": [
                              "pending",
                              "started",
                              "completed",
                              "failed",
                              "aborted"
                            ]
                          },
                          "deployed_at": {
                            "type": "string",
                            "format": "date-time"
                          }
                        },
                        "required": [
                          "deployment_id",
                          "version",
                          "status",
                          "deployed_at"
                        ],
                        "additionalProperties": false
                      }
                    },
                    "required": [
                      "version",
                      "version_id",
                      "deployment_id",
                      "deployed_at",
                      "deployed_by",
                      "status",
                      "latest"
                    ],
                    "additionalProperties": false,
                    "description": "The current version (the completed deployment whose completing event was recorded last) and the latest attempt of any status."
                  }
                }
              },
              "required": [
                "id",
                "name",
                "drift",
                "environments"
              ],
              "additionalProperties": false
            }
          }
        },
        "required": [
          "environments",
          "products"
        ],
        "additionalProperties": false
      },
      "Event": {
        "type": "object",
        "properties": {
          "id": {
            "type": "string",
            "format": "uuid"
          },
          "event_type": {
            "type": "string",
            "enum": [
              "deployment.pending",
              "deployment.started",
              "deployment.completed",
              "deployment.failed",
              "deployment.aborted",
              "build.pending",
              "build.started",
              "build.completed",
              "build.failed",
              "build.aborted"
            ]
          },
          "status": {
            "type": "string",
            "enum": [
              "pending",
              "started",
              "completed",
              "failed",
              "aborted"
            ]
          },
          "recorded_at": {
            "type": "string",
            "format": "date-time"
          },
          "product_id": {
            "type": "string",
            "format": "uuid"
          },
          "product_name": {
            "type": "string"
          },
          "version_id": {
            "type": "string",
            "format": "uuid"
          },
          "version": {
            "type": "string"
          },
          "environment_id": {
            "type": [
              "string",
              "null"
            ],
            "format": "uuid"
          },
          "environment_name": {
            "type": [
              "string",
              "null"
            ]
          },
          "deployment_id": {
            "type": [
              "string",
              "null"
            ],
            "format": "uuid"
          },
          "build_id": {
            "type": [
              "string",
              "null"
            ],
            "format": "uuid"
          },
          "data": {
            "type": "object",
            "description": "The event's optional fields as the client sent them."
          }
        },
        "required": [
          "id",
          "event_type",
          "status",
          "recorded_at",
          "product_id",
          "product_name",
          "version_id",
          "version",
          "environment_id",
          "environment_name",
          "deployment_id",
          "build_id",
          "data"
        ],
        "additionalProperties": false
      },
      "APIKey": {
        "type": "object",
        "properties": {
          "id": {
            "type": "string",
            "format": "uuid"
          },
          "name": {
            "type": "string"
          },
          "description": {
            "type": [
              "string",
              "null"
            ]
          },
          "scopes": {
            "type": "array",
            "items": {
              "type": "string",
              "enum": [
                "events:write",
                "read",
                "admin"
              ]
            }
          },
          "prefix": {
            "type": "string",
            "description": "`sk_<account>_<key id>`: enough to recognise the key, never the secret."
          },
          "created_at": {
            "type": "string",
            "format": "date-time"
          },
          "last_used_at": {
            "type": [
              "string",
              "null"
            ],
            "format": "date-time"
          },
          "revoked_at": {
            "type": [
              "string",
              "null"
            ],
            "format": "date-time"
          }
        },
        "required": [
          "id",
          "name",
          "description",
          "scopes",
          "prefix",
          "created_at",
          "last_used_at",
          "revoked_at"
        ],
        "additionalProperties": false
      },
      "IssuedAPIKey": {
        "type": "object",
        "properties": {
          "id": {
            "type": "string",
            "format": "uuid"
          },
          "name": {
            "type": "string"
          },
          "description": {
            "type": [
              "string",
              "null"
            ]
          },
          "scopes": {
            "type": "array",
            "items": {
              "type": "string",
              "enum": [
                "events:write",
                "read",
                "admin"
              ]
            }
          },
          "prefix": {
            "type": "string",
            "description": "`sk_<account>_<key id>`: enough to recognise the key, never the secret."
          },
          "created_at": {
            "type": "string",
            "format": "date-time"
          },
          "last_used_at": {
            "type": [
              "string",
              "null"
            ],
            "format": "date-time"
          },
          "revoked_at": {
            "type": [
              "string",
              "null"
            ],
            "format": "date-time"
          },
          "key": {
            "type": "string",
            "description": "The whole key, shown this once."
          }
        },
        "required": [
          "id",
          "name",
          "description",
          "scopes",
          "prefix",
          "created_at",
          "last_used_at",
          "revoked_at",
          "key"
        ],
        "additionalProperties": false
      },
      "NewAPIKey": {
        "type": "object",
        "properties": {
          "name": {
            "type": "string",
            "maxLength": 255
          },
          "description": {
            "type": [
              "string",
              "null"
            ],
            "maxLength": 2000
          },
          "scopes": {
            "type": "array",
            "items": {
              "type": "string",
              "enum": [
                "events:write",
                "read",
                "admin"
              ]
            },
            "minItems": 1
          }
        },
        "required": [
          "name",
          "scopes"
        ]
      },
      "Snapshot": {
        "type": "object",
        "properties": {
          "path": {
            "type": "string"
          },
          "sequence": {
            "type": "integer"
          },
          "bytes": {
            "type": "integer"
          },
          "uncompressed_bytes": {
            "type": "integer"
          }
        },
        "required": [
          "path",
          "sequence",
          "bytes",
          "uncompressed_bytes"
        ],
        "additionalProperties": false
      },
      "Status": {
        "type": "object",
        "properties": {
          "status": {
            "type": "string"
          }
        },
        "required": [
          "status"
        ],
        "additionalProperties": false
      }
    },
    "responses": {
      "BadRequest": {
        "description": "The body is not JSON, or not a JSON object.",
        "content": {
          "application/json": {
            "schema": {
              "$ref": "#/components/schemas/Error"
            }
          }
        }
      },
      "Unauthorized": {
        "description": "No key, or an unknown or revoked one.",
        "content": {
          "application/json": {
            "schema": {
              "$ref": "#/components/schemas/Error"
            }
          }
        },
        "headers": {
          "WWW-Authenticate": {
            "schema": {
              "type": "string"
            }
          }
        }
      },
      "Forbidden": {
        "description": "The key lacks the scope this operation needs.",
        "content": {
          "application/json": {
            "schema": {
              "$ref": "#/components/schemas/Error"
            }
          }
        }
      },
      "NotFound": {
        "description": "Nothing with that id.",
        "content": {
          "application/json": {
            "schema": {
              "$ref": "#/components/schemas/Error"
            }
          }
        }
      },
      "Conflict": {
        "description": "The change conflicts with what exists.",
        "content": {
          "application/json": {
            "schema": {
              "$ref": "#/components/schemas/Error"
            }
          }
        }
      },
      "TooLarge": {
        "description": "The body is over the size limit (default 1 MiB).",
        "content": {
          "application/json": {
            "schema": {
              "$ref": "#/components/schemas/Error"
            }
          }
        }
      },
      "UnsupportedMediaType": {
        "description": "The body is sent as a media type other than JSON (multipart\u2026).",
        "content": {
          "application/json": {
            "schema": {
              "$ref": "#/components/schemas/Error"
            }
          }
        }
      },
      "Invalid": {
        "description": "Invalid fields or parameters, every one listed.",
        "content": {
          "application/json": {
            "schema": {
              "$ref": "#/components/schemas/ValidationError"
            }
          }
        }
      },
      "Unavailable": {
        "description": "The server is still recovering, or cannot write its journal.",
        "content": {
          "application/json": {
            "schema": {
              "$ref": "#/components/schemas/Error"
            }
          }
        },
        "headers": {
          "Retry-After": {
            "schema": {
              "type": "string"
            }
          }
        }
      }
    },
    "parameters": {
      "id": {
        "name": "id",
        "in": "path",
        "required": true,
        "schema": {
          "type": "string",
          "format": "uuid"
        }
      },
      "limit": {
        "name": "limit",
        "in": "query",
        "description": "Page size.",
        "schema": {
          "type": "integer",
          "minimum": 1,
          "maximum": 1000,
          "default": 50
        }
      },
      "cursor": {
        "name": "cursor",
        "in": "query",
        "description": "The opaque cursor from the previous page's `Link` header.",
        "schema": {
          "type": "string",
          "pattern": "^[0-9a-fA-F]{32}$"
        }
      },
      "product": {
        "name": "product",
        "in": "query",
        "description": "A product name.",
        "schema": {
          "type": "string"
        }
      },
      "environment": {
        "name": "environment",
        "in": "query",
        "description": "An environment name.",
        "schema": {
          "type": "string"
        }
      },
      "version": {
        "name": "version",
        "in": "query",
        "description": "A version name.",
        "schema": {
          "type": "string"
        }
      },
      "status": {
        "name": "status",
        "in": "query",
        "description": "A canonical status or an alias.",
        "schema": {
          "type": "string"
        }
      },
      "since": {
        "name": "since",
        "in": "query",
        "schema": {
          "type": "string",
          "format": "date-time"
        }
      },
      "until": {
        "name": "until",
        "in": "query",
        "schema": {
          "type": "string",
          "format": "date-time"
        }
      },
      "scm_sha": {
        "name": "scm_sha",
        "in": "query",
        "description": "Exact SHA, case-insensitive.",
        "schema": {
          "type": "string"
        }
      },
      "envtype": {
        "name": "type",
        "in": "query",
        "description": "An environment type.",
        "schema": {
          "type": "string",
          "enum": [
            "dev",
            "test",
            "staging",
            "production",
            "other"
          ]
        }
      },
      "eventtype": {
        "name": "type",
        "in": "query",
        "description": "`deployment`, `build`, or a full event type such as `deployment.completed`.",
        "schema": {
          "type": "string",
          "enum": [
            "deployment",
            "build",
            "deployment.pending",
            "deployment.started",
            "deployment.completed",
            "deployment.failed",
            "deployment.aborted",
            "build.pending",
            "build.started",
            "build.completed",
            "build.failed",
            "build.aborted"
          ]
        }
      }
    },
    "securitySchemes": {
      "bearerAuth": {
        "type": "http",
        "scheme": "bearer",
        "description": "`sk_<account>_<key id>_<secret>`"
      }
    }
  }
}
"""#
