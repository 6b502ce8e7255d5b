"""/docs works in a real browser: headless Chromium sends a deployment event from the page and
shows the 200 answer."""

import json

from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.ui import WebDriverWait

from conftest import SCREENSHOTS, WAIT


def test_docs_page_sends_a_deployment_event(server, browser):
    browser.get(server.url + "/docs")
    wait = WebDriverWait(browser, WAIT)
    # The page has read the document and listed every operation.
    wait.until(lambda driver: driver.find_element(By.ID, "load-state").get_attribute("data-ready") == "true")
    _, _, body = server.request("GET", "/openapi.json")
    documented = sum(1 for item in json.loads(body)["paths"].values()
                     for method in item if method in ("get", "post", "put", "patch", "delete"))
    assert len(browser.find_elements(By.CSS_SELECTOR, "details.operation")) == documented

    browser.find_element(By.ID, "api-key").send_keys(server.admin_key)
    operation = browser.find_element(By.ID, "op-recordDeploymentEvent")
    operation.find_element(By.TAG_NAME, "summary").click()
    body_input = operation.find_element(By.CSS_SELECTOR, "textarea.body")
    body_input.clear()
    body_input.send_keys(json.dumps({"product_name": "docs-page", "version": "9.9.9",
                                     "environment_name": "staging", "status": "deployed"}))
    operation.find_element(By.CSS_SELECTOR, "button.send").click()

    status = operation.find_element(By.CSS_SELECTOR, ".status")
    wait.until(lambda driver: status.get_attribute("data-code"))
    assert status.get_attribute("data-code") == "200", status.text
    answer = json.loads(operation.find_element(By.CSS_SELECTOR, "pre.response").text)
    assert answer["product_name"] == "docs-page"
    assert answer["status"] == "completed"

    # The server really has it.
    code, _, found = server.request("GET", "/deployments/?product=docs-page", key=server.admin_key)
    assert code == 200
    assert [item["version"] for item in json.loads(found)] == ["9.9.9"]


def test_docs_page_shows_a_refusal_without_a_key(server, browser):
    browser.get(server.url + "/docs")
    wait = WebDriverWait(browser, WAIT)
    wait.until(lambda driver: driver.find_element(By.ID, "load-state").get_attribute("data-ready") == "true")
    operation = browser.find_element(By.ID, "op-listProducts")
    operation.find_element(By.TAG_NAME, "summary").click()
    operation.find_element(By.CSS_SELECTOR, "button.send").click()
    status = operation.find_element(By.CSS_SELECTOR, ".status")
    wait.until(lambda driver: status.get_attribute("data-code"))
    assert status.get_attribute("data-code") == "401"
    assert "Invalid authentication credentials" in operation.find_element(By.CSS_SELECTOR, "pre.response").text


def test_docs_page_revalidates_with_the_etag_it_shows(server, browser):
    browser.get(server.url + "/docs")
    wait = WebDriverWait(browser, WAIT)
    wait.until(lambda driver: driver.find_element(By.ID, "load-state").get_attribute("data-ready") == "true")
    browser.find_element(By.ID, "api-key").send_keys(server.admin_key)
    operation = browser.find_element(By.ID, "op-listProducts")
    operation.find_element(By.TAG_NAME, "summary").click()
    status = operation.find_element(By.CSS_SELECTOR, ".status")

    operation.find_element(By.CSS_SELECTOR, "button.send").click()
    wait.until(lambda driver: status.get_attribute("data-code"))
    assert status.get_attribute("data-code") == "200", status.text
    shown = operation.find_element(By.CSS_SELECTOR, "pre.response").text
    tag = next(line[len("ETag: "):] for line in shown.splitlines() if line.startswith("ETag: "))

    header = operation.find_element(By.CSS_SELECTOR, 'input[data-in="header"][data-name="If-None-Match"]')
    header.send_keys(tag)
    browser.execute_script("arguments[0].removeAttribute('data-code')", status)
    operation.find_element(By.CSS_SELECTOR, "button.send").click()
    wait.until(lambda driver: status.get_attribute("data-code"))
    assert status.get_attribute("data-code") == "304", status.text
    browser.save_screenshot(str(SCREENSHOTS / "docs-revalidation.png"))
