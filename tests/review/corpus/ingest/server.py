from flask import Flask
from flask_cors import CORS

app = Flask(__name__)
CORS(app, origins=["https://shop.acme-corp.com"])


if __name__ == "__main__":
    app.run(host="0.0.0.0", port=8000, debug=True)
