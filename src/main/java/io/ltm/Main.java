package io.ltm;

public class Main {
  public static void main(String[] args) {
  }
}
