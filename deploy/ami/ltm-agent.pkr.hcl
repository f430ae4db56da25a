# Builds the AMI LTM's transcoder machines boot (cloud.provider: ec2, ec2.image):
#   mvn -B -q package -DskipTests          # target/ltm.jar
#   packer init deploy/ami && packer build -var region=eu-west-1 deploy/ami
# It starts from the newest official Debian 12 AMI (owner 136693071363), runs provision.sh, and prints the new
# AMI id; put it in ec2.image, or in an SSM parameter that ec2.image names.
packer {
  required_plugins {
    amazon = {
      source  = "github.com/hashicorp/amazon"
      version = ">= 1.3.0"
    }
  }
}

variable "region" {
  type    = string
  default = "us-east-1"
}

variable "instance_type" {
  type    = string
  default = "c6i.large"
}

variable "jar" {
  type    = string
  default = "target/ltm.jar"
}

source "amazon-ebs" "ltm_agent" {
  region        = var.region
  instance_type = var.instance_type
  ssh_username  = "admin"
  ami_name      = "ltm-agent-{{timestamp}}"
  source_ami_filter {
    filters = {
      name                = "debian-12-amd64-*"
      architecture        = "x86_64"
      virtualization-type = "hvm"
      root-device-type    = "ebs"
    }
    owners      = ["136693071363"]
    most_recent = true
  }
  launch_block_device_mappings {
    device_name           = "/dev/xvda"
    volume_size           = 8
    volume_type           = "gp3"
    delete_on_termination = true
  }
  metadata_options {
    http_tokens = "required"
  }
  tags = {
    Name     = "ltm-agent"
    "ltm:ami" = "agent"
  }
}

build {
  sources = ["source.amazon-ebs.ltm_agent"]

  provisioner "shell" {
    inline = ["mkdir -p /tmp/ltm-ami"]
  }
  provisioner "file" {
    sources     = [var.jar, "${path.root}/ltm-agent-start", "${path.root}/ltm-agent.service"]
    destination = "/tmp/ltm-ami/"
  }
  provisioner "shell" {
    script          = "${path.root}/provision.sh"
    execute_command = "sudo sh -c '{{ .Path }} /tmp/ltm-ami'"
  }
}
